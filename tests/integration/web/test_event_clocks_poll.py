"""The event page's clocks, polled each second: 304 while nothing the fragment shows changed,
a new answer after a write (by this service or another process on the same database) or once
a deadline passes; the session looked up in the same read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import CodDecision, DeclareCellOperational, OpenCrisis
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import Actor
from tests.integration.web.conftest import new_client, sign_in

POLL = {"HX-Request": "true"}
OFFICER = Actor(name="cadre", role="duty_officer")
CELL = Actor(name="cellule", role="comm_cell")


def _open(service: Service) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de la Seine",
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-1"),
        ),
        actor=OFFICER,
    )
    return crisis_id


def _polled(service: Service, people: dict[str, str]) -> tuple[TestClient, str, str]:
    """A signed-in client, an event, and the tag of its clocks' first answer."""
    crisis_id = _open(service)
    client = new_client(service)
    sign_in(client, people["comm_cell"])
    page = client.get(f"/evenements/{crisis_id}").text
    assert 'id="horloges"' in page and 'data-etag=""' in page  # the page's polls send it back
    first = client.get(f"/evenements/{crisis_id}/horloges", headers=POLL)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    return client, crisis_id, first.headers["ETag"]


def test_unchanged_clocks_answer_304_even_as_their_seconds_pass(
    service: Service, people: dict[str, str], clock: ManualClock
) -> None:
    client, crisis_id, tag = _polled(service, people)
    again = client.get(f"/evenements/{crisis_id}/horloges", headers={**POLL, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == tag
    assert again.headers["X-Service-Time"] == clock.now().isoformat(timespec="milliseconds")
    clock.advance(timedelta(minutes=7, seconds=13))
    later = client.get(f"/evenements/{crisis_id}/horloges", headers={**POLL, "If-None-Match": tag})
    assert later.status_code == 304


def test_a_write_here_or_by_another_process_changes_the_answer(
    service: Service,
    people: dict[str, str],
    clock: ManualClock,
    other_process: Callable[[], Service],
) -> None:
    client, crisis_id, tag = _polled(service, people)
    other = other_process()  # `crisis` CLI
    other.bus.handle(DeclareCellOperational(crisis_id=crisis_id), actor=CELL)
    changed = client.get(
        f"/evenements/{crisis_id}/horloges", headers={**POLL, "If-None-Match": tag}
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert "tenue" in changed.text

    # Journaled again, nothing the clocks show changed: read again, still 304.
    tag = changed.headers["ETag"]
    clock.advance(timedelta(minutes=5))
    service.bus.handle(DeclareCellOperational(crisis_id=crisis_id), actor=CELL)  # already met
    assert (
        client.get(
            f"/evenements/{crisis_id}/horloges", headers={**POLL, "If-None-Match": tag}
        ).status_code
        == 304
    )


def test_a_deadline_passing_changes_the_answer(
    service: Service, people: dict[str, str], clock: ManualClock
) -> None:
    client, crisis_id, tag = _polled(service, people)
    clock.advance(timedelta(minutes=60, seconds=1))  # no sweep ran: nothing was written
    late = client.get(f"/evenements/{crisis_id}/horloges", headers={**POLL, "If-None-Match": tag})
    assert late.status_code == 200
    assert late.headers["ETag"] != tag
    assert "dépassée" in late.text


def test_an_ended_session_and_an_unknown_event_are_answered_as_before(
    service: Service, people: dict[str, str]
) -> None:
    client, crisis_id, tag = _polled(service, people)
    client.cookies.set("crisis_session", "fini", domain="console.test")
    poll = client.get(f"/evenements/{crisis_id}/horloges", headers={**POLL, "If-None-Match": tag})
    assert poll.status_code == 401
    assert poll.headers["HX-Redirect"] == "/connexion"
    sign_in(client, people["comm_cell"])
    assert client.get("/evenements/inconnu/horloges", headers=POLL).status_code == 404
