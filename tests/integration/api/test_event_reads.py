"""An event read answers from the kept answer only while the event's version has not moved:
a write through the service, a write by another process on the same database, a breach
raised after a deadline are all read by the next request; a kept answer costs one statement
and no transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import CheckDeadlines, CloseCrisis, DeclareCellOperational
from crisis.services.context import SYSTEM_ACTOR, Actor
from tests.integration.api.conftest import auth
from tests.statements import statements_run

PREFECT = Actor(name="préfet", role="prefect")
CELL = Actor(name="cellule", role="comm_cell")


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    """Run with the application's lifespan, as the real server does: on PostgreSQL, the
    event loop's own connection for the quick reads."""
    with TestClient(create_app(service)) as client:
        yield client


def _read(client: TestClient, token: str, crisis_id: str, path: str = "") -> dict[str, Any]:
    answer = client.get(f"/api/v1/crises/{crisis_id}{path}", headers=auth(token))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _clock(view: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [dict(c) for c in view["clocks"] if c["name"] == name]
    return found


def test_a_kept_answer_costs_one_statement_and_no_transaction(
    client: TestClient, tokens: dict[str, str], crisis_id: str, service: Service
) -> None:
    first = _read(client, tokens["auditor"], crisis_id)
    before = service.quick_reads.statements
    with statements_run(service.engine) as seen:
        again = _read(client, tokens["auditor"], crisis_id)
        clocks = _read(client, tokens["auditor"], crisis_id, "/clocks")
    assert again == first
    assert clocks == {"crisis_id": crisis_id, "clocks": first["clocks"]}
    assert seen == []
    assert service.quick_reads.statements == before + 2


def test_a_write_through_the_service_is_read_by_the_next_request(
    client: TestClient, tokens: dict[str, str], crisis_id: str, service: Service
) -> None:
    assert _clock(_read(client, tokens["auditor"], crisis_id), "cell")["state"] == "running"
    service.bus.handle(DeclareCellOperational(crisis_id=crisis_id), actor=CELL)
    assert _clock(_read(client, tokens["auditor"], crisis_id), "cell")["state"] == "met"
    assert _clock(_read(client, tokens["auditor"], crisis_id, "/clocks"), "cell")["state"] == "met"


def test_a_write_by_another_process_on_the_same_database_is_read_by_the_next_request(
    client: TestClient,
    tokens: dict[str, str],
    crisis_id: str,
    other_process: Callable[[], Service],
) -> None:
    assert _read(client, tokens["auditor"], crisis_id)["state"] == "cod_active"
    _read(client, tokens["auditor"], crisis_id, "/clocks")
    other = other_process()
    other.bus.handle(DeclareCellOperational(crisis_id=crisis_id), actor=CELL)
    assert _clock(_read(client, tokens["auditor"], crisis_id), "cell")["state"] == "met"
    assert _clock(_read(client, tokens["auditor"], crisis_id, "/clocks"), "cell")["state"] == "met"
    other.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="Décrue."), actor=PREFECT)
    assert _read(client, tokens["auditor"], crisis_id)["state"] == "closed"


def test_a_breach_raised_once_the_deadline_passed_is_read_by_the_next_request(
    client: TestClient,
    tokens: dict[str, str],
    crisis_id: str,
    service: Service,
    other_process: Callable[[], Service],
    clock: ManualClock,
) -> None:
    assert _clock(_read(client, tokens["auditor"], crisis_id), "elus")["breached_at"] is None
    clock.advance(timedelta(minutes=61))
    # The leader's sweep, in another process here: what raises the breach.
    leader = other_process()
    leader.bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR)
    elus = _clock(_read(client, tokens["auditor"], crisis_id), "elus")
    assert elus["state"] == "breached"
    assert elus["breached_at"] is not None


def test_a_kept_answer_is_read_again_once_a_warning_or_deadline_is_past(
    client: TestClient, tokens: dict[str, str], crisis_id: str, service: Service, clock: ManualClock
) -> None:
    _read(client, tokens["auditor"], crisis_id)
    clock.advance(timedelta(minutes=29))  # before the first warning (30 min)
    with statements_run(service.engine) as seen:
        _read(client, tokens["auditor"], crisis_id)
    assert seen == []
    clock.advance(timedelta(minutes=1, seconds=1))  # no sweep ran: nothing was written
    with statements_run(service.engine) as seen:
        _read(client, tokens["auditor"], crisis_id)
    assert any("FROM crises" in s for s in seen), seen


def test_an_unknown_event_and_a_missing_token_are_refused_as_before(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    for path in ("", "/clocks"):
        assert (
            client.get(f"/api/v1/crises/inconnu{path}", headers=auth(tokens["auditor"])).status_code
            == 404
        )
        assert client.get(f"/api/v1/crises/{crisis_id}{path}").status_code == 401
        bad = client.get(f"/api/v1/crises/{crisis_id}{path}", headers=auth("faux"))
        assert bad.status_code == 401
        basic = client.get(
            f"/api/v1/crises/{crisis_id}{path}", headers={"Authorization": "Basic eDp5"}
        )
        assert basic.status_code == 401
