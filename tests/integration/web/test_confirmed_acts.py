"""Acts that meet a commitment are confirmed first, and corrected afterwards with a reason
that the journal, the report and the indicators keep."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import PARIS, ManualClock
from crisis.domain.vocabulary import ClockName
from crisis.reporting.indicators_service import indicators_view
from tests.integration.web.conftest import new_client, sign_in
from tests.integration.web.test_event_page import _open


def _cell(service: Service, crisis_id: str) -> tuple[object, object]:
    with service.bus.reading() as uow:
        clock = uow.crises.get(crisis_id).clocks[ClockName.CELL]
    return clock.met_at, clock.met_by


def test_the_cell_is_declared_operational_only_once_confirmed(
    service: Service, clock: ManualClock, people: dict[str, str]
) -> None:
    officer = new_client(service)
    token = sign_in(officer, people["duty_officer"])
    crisis_id = _open(officer, token, activate=True)
    event_page = officer.get(f"/evenements/{crisis_id}").text
    assert f'href="/evenements/{crisis_id}/cellule-operationnelle"' in event_page
    clock.advance(timedelta(minutes=12))
    # A POST without the confirmation (an old page, a hand-made form) changes nothing.
    unconfirmed = officer.post(
        f"/evenements/{crisis_id}/cellule-operationnelle",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == f"/evenements/{crisis_id}/cellule-operationnelle"
    assert _cell(service, crisis_id) == (None, None)
    confirmation = html.unescape(officer.get(unconfirmed.headers["location"]).text)
    assert "Déclarer la cellule de communication opérationnelle ?" in confirmation
    assert "il y a 12 min" in confirmation
    assert "Confirmer : la cellule est opérationnelle" in confirmation
    done = officer.post(
        f"/evenements/{crisis_id}/cellule-operationnelle",
        data={"csrf_token": token, "confirme": "oui", "note": "salle armée"},
    )
    assert "Cellule de communication déclarée opérationnelle." in html.unescape(done.text)
    assert _cell(service, crisis_id)[0] == clock.now()
    # Once met, the button is no longer offered.
    assert "Cellule opérationnelle</a>" not in done.text


def _declare(client: TestClient, token: str, crisis_id: str) -> None:
    client.post(
        f"/evenements/{crisis_id}/cellule-operationnelle",
        data={"csrf_token": token, "confirme": "oui"},
    )


def test_a_declaration_made_by_mistake_is_corrected_with_a_reason(
    service: Service, clock: ManualClock, people: dict[str, str]
) -> None:
    officer = new_client(service)
    token = sign_in(officer, people["duty_officer"])
    crisis_id = _open(officer, token, activate=True)
    clock.advance(timedelta(minutes=5))
    _declare(officer, token, crisis_id)
    page = html.unescape(officer.get(f"/evenements/{crisis_id}").text)
    assert "Corriger une horloge" in page

    # Without a reason: refused, nothing changed.
    refused = officer.post(
        f"/evenements/{crisis_id}/corrections",
        data={"csrf_token": token, "clock": "cell", "correction": "retrait", "reason": ""},
    )
    assert refused.status_code == 422
    assert "motif de la correction" in html.unescape(refused.text)
    assert _cell(service, crisis_id)[0] is not None

    clock.advance(timedelta(minutes=70))  # the deadline passes while the cell is not there
    withdrawn = officer.post(
        f"/evenements/{crisis_id}/corrections",
        data={
            "csrf_token": token,
            "clock": "cell",
            "correction": "retrait",
            "reason": "bouton touché par erreur",
        },
    )
    assert "Correction enregistrée au journal" in html.unescape(withdrawn.text)
    assert _cell(service, crisis_id) == (None, None)

    # The real instant, set afterwards: 1 h 10 after the decision.
    real = clock.now().astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    officer.post(
        f"/evenements/{crisis_id}/corrections",
        data={
            "csrf_token": token,
            "clock": "cell",
            "correction": "heure",
            "met_at": real,
            "reason": "cellule réellement en place à cette heure",
        },
    )
    met_at, met_by = _cell(service, crisis_id)
    assert met_at is not None
    assert str(met_by).startswith("correction de web-duty_officer")

    with service.bus.reading() as uow:
        kinds = [e.kind for e in uow.journal.entries(crisis_id)]
        day = clock.now().astimezone(PARIS).date()
        pack = indicators_view(uow, first=day, last=day, now=clock.now())
    assert kinds.count("event.ClockCorrected") == 2
    assert "event.ClockBreached" in kinds  # raised once the withdrawal let the clock run
    row = next(r for r in pack.events if r.crisis_id == crisis_id)
    assert row.clocks["cell"].verdict == "met_late"
    assert row.note is not None and "bouton touché par erreur" in row.note
    assert "cellule réellement en place" in row.note
    report = html.unescape(officer.get(f"/evenements/{crisis_id}/rapport.html").text)
    assert "Correction — " in report
    assert "en retirant la déclaration : bouton touché par erreur" in report


def test_the_cip_declaration_asks_for_confirmation_too(
    service: Service, people: dict[str, str]
) -> None:
    prefect, officer = new_client(service), new_client(service)
    token = sign_in(prefect, people["prefect"])
    crisis_id = _open(prefect, token, activate=True)
    prefect.post(
        f"/evenements/{crisis_id}/cip",
        data={"csrf_token": token, "numero_unique": "0 800 91 91 91"},
    )
    sign_in(officer, people["duty_officer"])
    page = officer.get(f"/evenements/{crisis_id}").text
    assert f'href="/evenements/{crisis_id}/cip/operationnelle"' in page
    confirmation = html.unescape(officer.get(f"/evenements/{crisis_id}/cip/operationnelle").text)
    assert "Déclarer la CIP opérationnelle ?" in confirmation
    auditor = new_client(service)
    sign_in(auditor, people["auditor"])
    assert auditor.get(f"/evenements/{crisis_id}/cip/operationnelle").status_code == 403
