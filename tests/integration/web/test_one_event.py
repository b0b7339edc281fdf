"""One crisis, one event: a second opening of the same event is refused and names the first,
even when both arrive at once; the COD activated twice stays one activation; an event opened
by mistake is closed as such and left out of the indicators."""

from __future__ import annotations

import html
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import PARIS, ManualClock
from crisis.domain.commands import OpenCrisis
from crisis.domain.crisis import Crisis
from crisis.domain.duplicates import LikelyDuplicate
from crisis.domain.vocabulary import CrisisKind
from crisis.reporting.indicators_service import indicators_view
from crisis.services.context import SYSTEM_ACTOR
from tests.integration.web.conftest import hidden, new_client, sign_in
from tests.integration.web.test_event_forms import FORM


def _post_new_form(client: TestClient, token: str, **changes: str) -> Any:
    """Another load of the form (its own idempotency key), then its submission."""
    key = hidden(client.get("/evenements/nouveau").text, "idempotency_key")
    data = {**FORM, **changes, "csrf_token": token, "idempotency_key": key}
    return client.post("/evenements", data=data, follow_redirects=False)


def _count(service: Service) -> int:
    with service.bus.reading() as uow:
        return len(uow.crises.find())


def test_a_second_form_of_the_same_event_names_the_first_and_creates_nothing(
    service: Service, people: dict[str, str]
) -> None:
    first_tab, other_user = new_client(service), new_client(service)
    token = sign_in(first_tab, people["duty_officer"])
    first = _post_new_form(first_tab, token)
    assert first.status_code == 303
    first_id = first.headers["location"].split("/evenements/")[1].split("?")[0]

    other_token = sign_in(other_user, people["prefect"])
    second = _post_new_form(other_user, other_token, title="Crue Orge")
    assert second.status_code == 409
    text = html.unescape(second.text)
    assert "Cet événement semble déjà ouvert : rien n'a été créé" in text
    assert f'href="/evenements/{first_id}"' in text
    assert "Rejoindre « Crue de l'Orge »" in text
    assert "moins de 24 h" in text  # the rule, stated
    assert _count(service) == 1
    # The attempt is journalled on the first event's chain.
    with service.bus.reading() as uow:
        kinds = [e.kind for e in uow.journal.entries(first_id)]
    assert "refused.OpenCrisis" in kinds

    # Confirmed as another event: the form posted with `distinct=oui` creates it, once.
    confirm = {
        **FORM,
        "title": "Crue Orge",
        "csrf_token": other_token,
        "idempotency_key": hidden(second.text, "idempotency_key"),
        "distinct": "oui",
    }
    assert 'name="distinct" value="oui"' in second.text
    created = other_user.post("/evenements", data=confirm, follow_redirects=False)
    again = other_user.post("/evenements", data=confirm, follow_redirects=False)
    assert created.status_code == again.status_code == 303
    assert created.headers["location"] == again.headers["location"]
    assert _count(service) == 2


def test_another_kind_and_title_is_not_a_duplicate(
    client: TestClient, service: Service, people: dict[str, str]
) -> None:
    token = sign_in(client, people["duty_officer"])
    assert _post_new_form(client, token).status_code == 303
    other = _post_new_form(client, token, title="Incendie à Grigny", kind="accident_industriel")
    assert other.status_code == 303
    assert _count(service) == 2


def _command() -> OpenCrisis:
    return OpenCrisis(
        title="Crue de l'Orge", kind=CrisisKind.INONDATION, exercise=True, check_duplicates=True
    )


def test_two_openings_at_the_same_instant_make_one_event(service: Service) -> None:
    """The second waits for the first's transaction, then sees its event (both databases)."""
    outcome: list[object] = []

    def second_opening() -> None:
        try:
            outcome.append(service.bus.handle(_command(), actor=SYSTEM_ACTOR))
        except LikelyDuplicate as refused:
            outcome.append(refused)

    with service.bus.unit_of_work() as uow:
        # The first opening, caught between its check and its commit.
        uow.crises.lock_openings()
        now = uow.now
        first = Crisis.open(
            crisis_id="premier",
            title="Crue de l'Orge",
            kind=CrisisKind.INONDATION,
            communes=(),
            reported_at=now,
            exercise=True,
            by="Claire Martin",
            now=now,
        )
        uow.crises.add(first)
        thread = threading.Thread(target=second_opening)
        thread.start()
        thread.join(0.3)  # the second has had the time to read, were it not made to wait
        assert thread.is_alive()
        uow.commit()
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], LikelyDuplicate)
    assert outcome[0].matches[0].crisis_id == "premier"
    assert _count(service) == 1


def test_the_cod_activated_from_two_tabs_stays_one_activation(
    service: Service, people: dict[str, str]
) -> None:
    tabs = [new_client(service), new_client(service)]
    tokens = [sign_in(tab, people["duty_officer"]) for tab in tabs]
    opened = _post_new_form(tabs[0], tokens[0], activate="")
    crisis_id = opened.headers["location"].split("/evenements/")[1].split("?")[0]
    decision = {"decided_by": "la préfète", "synergi_ref": "SYN-91-7", "decided_at": ""}
    answers = [
        tab.post(
            f"/evenements/{crisis_id}/cod",
            data={**decision, "csrf_token": token},
            follow_redirects=False,
        )
        for tab, token in zip(tabs, tokens, strict=True)
    ]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"].endswith("fait=cod")
    assert answers[1].headers["location"].endswith("fait=cod-deja")
    page = html.unescape(tabs[1].get(answers[1].headers["location"]).text)
    assert "Le COD était déjà activé pour cet événement : rien n'a changé." in page
    with service.bus.reading() as uow:
        kinds = [e.kind for e in uow.journal.entries(crisis_id)]
    assert kinds.count("event.CodActivated") == 1


@pytest.mark.parametrize("mistake", [True, False])
def test_an_event_opened_by_mistake_is_closed_as_such_and_left_out_of_the_indicators(
    service: Service, clock: ManualClock, people: dict[str, str], mistake: bool
) -> None:
    client = new_client(service)
    token = sign_in(client, people["prefect"])
    opened = _post_new_form(client, token, nature="reel", confirm_reel="oui")
    crisis_id = opened.headers["location"].split("/evenements/")[1].split("?")[0]
    clock.advance(timedelta(minutes=5))
    closing = {"reason": "doublon de la crue de l'Orge", "csrf_token": token}
    if mistake:
        closing["erreur"] = "oui"
    closed = client.post(f"/evenements/{crisis_id}/clore", data=closing)
    text = html.unescape(closed.text)
    with service.bus.reading() as uow:
        entries = uow.journal.entries(crisis_id)
        day = clock.now().astimezone(PARIS).date()
        pack = indicators_view(uow, first=day, last=day, now=clock.now())
    closing_entry = next(e for e in entries if e.kind == "event.CrisisClosed")
    assert closing_entry.payload["opened_by_mistake"] is mistake
    row = next(r for r in pack.events if r.crisis_id == crisis_id)
    if mistake:
        assert "cet événement est exclu des indicateurs. Motif : doublon de la crue" in text
        assert not row.counted
        assert row.note == (
            "Ouvert par erreur : exclu des indicateurs (motif : doublon de la crue de l'Orge)."
        )
        assert pack.commitments.c47.cod_activations == 0
        report = client.get(f"/evenements/{crisis_id}/rapport.html").text
        assert "ouvert par erreur, exclu des indicateurs" in html.unescape(report)
    else:
        assert row.counted
        assert pack.commitments.c47.cod_activations == 1
