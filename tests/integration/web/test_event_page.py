"""The event page's actions through the console, each one a command of the bus."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.vocabulary import ClockName, CrisisState
from tests.integration.web.conftest import hidden, new_client, sign_in


def _open(client: TestClient, token: str, *, activate: bool) -> str:
    form = client.get("/evenements/nouveau").text
    data = {
        "csrf_token": token,
        "idempotency_key": hidden(form, "idempotency_key"),
        "title": "Pollution de l'Essonne",
        "kind": "pollution",
        "nature": "reel",
        "confirm_reel": "oui",
        "decided_by": "la préfète",
        "synergi_ref": "SYN-3",
    }
    if activate:
        data["activate"] = "oui"
    response = client.post("/evenements", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).split("/evenements/")[1].split("?")[0]


def test_from_opening_to_closing(
    service: Service, clock: ManualClock, people: dict[str, str]
) -> None:
    officer = new_client(service)
    token = sign_in(officer, people["duty_officer"])
    crisis_id = _open(officer, token, activate=False)
    page = html.unescape(officer.get(f"/evenements/{crisis_id}").text)
    assert "COD non activé" in page
    assert "Enregistrer l'activation du COD" in page

    clock.advance(timedelta(minutes=5))
    activated = officer.post(
        f"/evenements/{crisis_id}/cod",
        data={"csrf_token": token, "decided_by": "la préfète", "synergi_ref": "SYN-3"},
    )
    assert "Activation du COD enregistrée" in html.unescape(activated.text)
    recorded = officer.post(
        f"/evenements/{crisis_id}/diffusion-hors-service",
        data={"csrf_token": token, "audience": "media", "means": "conférence de presse"},
    )
    assert "Diffusion hors service enregistrée." in html.unescape(recorded.text)
    cell = officer.post(
        f"/evenements/{crisis_id}/cellule-operationnelle",
        data={"csrf_token": token, "confirme": "oui"},
    )
    assert cell.status_code == 200

    prefect = new_client(service)
    prefect_token = sign_in(prefect, people["prefect"])
    ordered = prefect.post(
        f"/evenements/{crisis_id}/cip",
        data={"csrf_token": prefect_token, "numero_unique": "0 800 91 91 91"},
    )
    assert "numéro unique" in html.unescape(ordered.text)
    # Ordering the CIP is the préfet's: the duty officer gets the API's 403.
    refused = officer.post(
        f"/evenements/{crisis_id}/cip", data={"csrf_token": token, "numero_unique": "0 800 1"}
    )
    assert refused.status_code == 403
    operational = officer.post(
        f"/evenements/{crisis_id}/cip/operationnelle",
        data={"csrf_token": token, "confirme": "oui"},
    )
    assert "CIP déclarée opérationnelle" in html.unescape(operational.text)

    with service.bus.unit_of_work() as uow:
        crisis = uow.crises.get(crisis_id)
        assert crisis.clocks[ClockName.MEDIA].met_at is not None
        assert crisis.clocks[ClockName.CELL].met_at is not None
        assert crisis.clocks[ClockName.CIP].met_at is not None

    # The main courante, newest first, in pages of 25.
    for number in range(6):
        officer.post(
            f"/evenements/{crisis_id}/diffusion-hors-service",
            data={"csrf_token": token, "audience": "elus", "means": f"appels aux maires {number}"},
        )
    with service.bus.unit_of_work() as uow:
        assert 25 < uow.journal.head_seq(crisis_id) <= 50
    journal = html.unescape(prefect.get(f"/evenements/{crisis_id}").text)
    assert "page 1 sur 2" in journal
    assert "Plus anciennes" in journal
    older = html.unescape(prefect.get(f"/evenements/{crisis_id}?page_journal=2").text)
    assert "Ouverture de l'événement" in older

    closed = prefect.post(
        f"/evenements/{crisis_id}/clore", data={"csrf_token": prefect_token, "reason": "Décrue."}
    )
    assert "Événement clos." in html.unescape(closed.text)
    with service.bus.unit_of_work() as uow:
        assert uow.crises.get(crisis_id).state is CrisisState.CLOSED


def test_a_session_ends_after_its_lifetime(
    service: Service, clock: ManualClock, people: dict[str, str]
) -> None:
    client = new_client(service)
    sign_in(client, people["auditor"])
    assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=service.settings.session_minutes + 1))
    assert client.get("/", follow_redirects=False).status_code == 303
