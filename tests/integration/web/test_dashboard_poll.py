"""The dashboard's poll: 304 while nothing changed, the same few statements for any number of
open events, a new answer when something is written or a deadline passes, countdowns that the
browser can run from their absolute deadline."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.account_commands import DeactivateUser
from crisis.domain.commands import CodDecision, OpenCrisis, RecordDelivery
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.services.situation_cache import SituationCache
from crisis.settings import Settings
from crisis.store.loop_connection import application_name
from crisis.store.unit_of_work import UnitOfWork
from tests.integration.web.conftest import new_client, sign_in
from tests.statements import statements_run

POLL = {"HX-Request": "true"}
OFFICER = Actor(name="cadre", role="duty_officer")


def _open(service: Service, title: str) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title=title,
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(decided_by="préfet", synergi_ref=f"SYN-{title}"),
        ),
        actor=OFFICER,
    )
    return crisis_id


def _queries(statements: list[str]) -> list[str]:
    """The statements that read rows (not BEGIN, SET TRANSACTION, ROLLBACK…)."""
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def _record_delivery(
    service: Service, crisis_id: str, audience: Audience, clock: ManualClock
) -> None:
    """An audience's clock met by a delivery made outside the service (a change the list shows)."""
    service.bus.handle(
        RecordDelivery(
            crisis_id=crisis_id,
            audience=audience,
            delivered_at=clock.now(),
            means="téléphone",
            recipients="maires des communes",
        ),
        actor=OFFICER,
    )


@pytest.fixture
def served() -> Iterator[ExitStack]:
    """The clients entered here run the application's lifespan, as the real server does (on
    PostgreSQL, the event loop's own connection for the quick reads), and leave it after."""
    with ExitStack() as clients:
        yield clients


def _client(service: Service, people: dict[str, str], served: ExitStack) -> TestClient:
    client = served.enter_context(new_client(service))
    sign_in(client, people["comm_cell"])
    return client


def test_an_unchanged_list_answers_304_after_one_statement(
    service: Service, people: dict[str, str], served: ExitStack
) -> None:
    _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    first = client.get("/tableau/evenements", headers=POLL)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert "Crue de la Seine" in first.text
    assert first.headers["Cache-Control"] == "no-store"

    before = service.quick_reads.statements
    with statements_run(service.engine) as seen:
        again = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == tag
    # The session, its user and the change marker in one quick statement: no transaction,
    # nothing about the events themselves.
    assert seen == []
    assert service.quick_reads.statements == before + 1


def test_the_page_gives_the_tag_and_the_service_time_the_browser_counts_on(
    service: Service, people: dict[str, str], clock: ManualClock, served: ExitStack
) -> None:
    _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    page = client.get("/").text
    tag = re.search(r'data-etag="([^"]+)"', page)
    assert tag is not None
    # The tag is an HTML attribute: its quotes are escaped there.
    value = tag.group(1).replace("&#34;", '"')
    poll = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": value})
    assert poll.status_code == 304
    assert poll.headers["X-Service-Time"] == clock.now().isoformat(timespec="milliseconds")
    assert f'data-heure-service="{clock.now().isoformat(timespec="milliseconds")}"' in page
    # Each running clock: its countdown alone in an element that names its deadline.
    assert re.search(
        r'reste <span data-echeance="[^"]+" data-sens="reste">60 min 00 s</span>', page
    )


def test_the_seconds_of_a_countdown_do_not_change_the_answer(
    service: Service, people: dict[str, str], clock: ManualClock, served: ExitStack
) -> None:
    _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    clock.advance(timedelta(minutes=7, seconds=13))
    assert (
        client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag}).status_code == 304
    )


def test_a_deadline_passing_changes_the_answer(
    service: Service, people: dict[str, str], clock: ManualClock, served: ExitStack
) -> None:
    _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    clock.advance(timedelta(minutes=60, seconds=1))  # no sweep ran: nothing was written
    late = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert late.status_code == 200
    assert late.headers["ETag"] != tag
    assert "dépassée" in late.text
    assert 'data-sens="retard"' in late.text


def test_a_change_written_changes_the_answer(
    service: Service, people: dict[str, str], clock: ManualClock, served: ExitStack
) -> None:
    crisis_id = _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    clock.advance(timedelta(minutes=5))
    _record_delivery(service, crisis_id, Audience.ELUS, clock)
    changed = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert "tenue" in changed.text


def test_the_statements_do_not_grow_with_the_open_events(
    service: Service, people: dict[str, str], served: ExitStack
) -> None:
    client = _client(service, people, served)
    counts = []
    for title in ("Crue de la Seine", "Feu de forêt", "Tempête"):
        _open(service, title)
        with statements_run(service.engine) as seen:
            assert client.get("/tableau/evenements", headers=POLL).status_code == 200
        counts.append(len(_queries(seen)))
    assert counts[0] == counts[1] == counts[2], counts


def test_a_poll_of_an_ended_session_is_sent_to_the_sign_in_form_even_when_unchanged(
    service: Service, people: dict[str, str], served: ExitStack
) -> None:
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    client.cookies.set("crisis_session", "fini", domain="console.test")
    poll = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert poll.status_code == 401
    assert poll.headers["HX-Redirect"] == "/connexion"


# Entries of a fan-out as the dispatcher writes them, for a message the event does not hold
# (the fold of the journal, which the list is drawn from, reads them and changes nothing).
_PAYLOADS: dict[str, dict[str, object]] = {
    "command.RecordDeliveryOutcomes": {"outcomes": []},
    "event.DeliveriesAccepted": {"message_id": "m-banc", "channel": "email", "deliveries": []},
}


def _journal(service: Service, crisis_id: str, kind: str) -> None:
    payload = _PAYLOADS.get(kind, {})
    with service.bus.unit_of_work() as uow:
        uow.journal.append(stream=crisis_id, at=uow.now, actor="banc", kind=kind, payload=payload)
        uow.commit()


def test_a_fan_out_s_entries_keep_the_answer_without_reading_the_events(
    service: Service, people: dict[str, str], served: ExitStack
) -> None:
    crisis_id = _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    for kind in ("command.RecordDeliveryOutcomes", "event.DeliveriesAccepted"):
        _journal(service, crisis_id, kind)
    with statements_run(service.engine) as seen:
        again = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert again.status_code == 304
    assert not any("FROM crises" in s for s in _queries(seen)), seen
    # Any other entry may change the list: it is read again (and, unchanged here, still 304).
    _journal(service, crisis_id, "event.NoteRecorded")
    with statements_run(service.engine) as seen:
        again = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert again.status_code == 304
    assert any("FROM crises" in s for s in _queries(seen)), seen


def test_more_open_events_than_the_folds_kept_are_all_listed(
    service: Service, people: dict[str, str], monkeypatch: pytest.MonkeyPatch, served: ExitStack
) -> None:
    monkeypatch.setattr(service, "situations", SituationCache(max_events=1))
    client = _client(service, people, served)
    titles = ("Crue de la Seine", "Feu de forêt", "Tempête")
    for title in titles:
        _open(service, title)
    for _ in range(2):  # the folds are dropped and read again from the journal each time
        listed = client.get("/tableau/evenements", headers=POLL)
        assert listed.status_code == 200
        assert all(title in listed.text for title in titles)


def test_a_write_by_another_process_changes_the_answer_of_the_next_poll(
    service: Service,
    people: dict[str, str],
    clock: ManualClock,
    other_process: Callable[[], Service],
    served: ExitStack,
) -> None:
    crisis_id = _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    assert (
        client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag}).status_code == 304
    )
    other = other_process()  # `crisis` CLI
    _record_delivery(other, crisis_id, Audience.ELUS, clock)
    changed = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert changed.status_code == 200
    assert "tenue" in changed.text


def test_an_unchanged_poll_of_a_user_deactivated_elsewhere_or_an_expired_session_is_refused(
    service: Service,
    people: dict[str, str],
    clock: ManualClock,
    other_process: Callable[[], Service],
    settings: Settings,
    served: ExitStack,
) -> None:
    _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    other = other_process()
    other.bus.handle(DeactivateUser(name=people["comm_cell"]), actor=SYSTEM_ACTOR)
    poll = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert poll.status_code == 401

    client = _client(service, people | {"comm_cell": people["duty_officer"]}, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    clock.advance(timedelta(minutes=settings.session_minutes, seconds=1))
    poll = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert poll.status_code == 401


def test_a_change_committed_after_a_later_one_still_changes_the_answer(
    service: Service,
    people: dict[str, str],
    clock: ManualClock,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    served: ExitStack,
) -> None:
    """On PostgreSQL two transactions may commit in the other order than their journal ids
    were drawn: a poll between the two commits must not keep its answer once the first,
    lower one, commits too (a marker of row ids alone did not move then)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers commit one after the other, in the order of their ids")
    first = _open(service, "Crue de la Seine")
    second = _open(service, "Feu de forêt")
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    held, release = threading.Event(), threading.Event()
    commit = UnitOfWork.commit

    def commit_when_released(uow: UnitOfWork) -> None:
        if threading.current_thread().name == "held":
            held.set()
            assert release.wait(30)
        commit(uow)

    monkeypatch.setattr(UnitOfWork, "commit", commit_when_released)

    lower = threading.Thread(
        target=_record_delivery, args=(service, first, Audience.ELUS, clock), name="held"
    )
    lower.start()
    try:
        assert held.wait(30)  # its journal id drawn, not committed
        _record_delivery(service, second, Audience.MEDIA, clock)  # a higher id, committed first
        between = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
        assert between.status_code == 200
        tag = between.headers["ETag"]
    finally:
        release.set()
        lower.join(30)
    after = client.get("/tableau/evenements", headers={**POLL, "If-None-Match": tag})
    assert after.status_code == 200
    assert after.headers["ETag"] != tag


def test_a_quick_read_connection_cut_by_the_server_is_replaced_without_a_wrong_answer(
    service: Service, people: dict[str, str], engine: Engine, served: ExitStack
) -> None:
    """The server ends the event loop's own connection (a restart, an administrator): the
    next poll still answers right, by a read in a thread, and the one after is quick again."""
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite the quick reads use the database file, not a server connection")
    _open(service, "Crue de la Seine")
    client = _client(service, people, served)
    tag = client.get("/tableau/evenements", headers=POLL).headers["ETag"]
    unchanged = {**POLL, "If-None-Match": tag}
    assert client.get("/tableau/evenements", headers=unchanged).status_code == 304
    with engine.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = :name"
            ),
            {"name": application_name()},
        ).all()
    assert ended == [(True,)]
    with statements_run(service.engine) as seen:
        cut = client.get("/tableau/evenements", headers=unchanged)
    assert cut.status_code == 304
    assert _queries(seen)  # read in a thread, through the engine
    with statements_run(service.engine) as seen:
        again = client.get("/tableau/evenements", headers=unchanged)
    assert again.status_code == 304
    assert seen == []
