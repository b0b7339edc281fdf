"""The bus on both databases: idempotency, role checks, races, refusals journalled."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import ActivateCod, CheckDeadlines, CodDecision, OpenCrisis
from crisis.domain.errors import Conflict, NotFound
from crisis.domain.vocabulary import CrisisKind
from crisis.services.bus import Forbidden, IdempotencyMismatch
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.store.tables import clock_alerts, crises, journal
from crisis.store.unit_of_work import UnitOfWork

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u1")
AUDITOR = Actor(name="auditrice", role="auditor", user_id="u3")


def open_crisis(service: Service, *, exercise: bool = False) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(title="Tempête", kind=CrisisKind.TEMPETE, exercise=exercise), actor=OFFICER
    )
    return crisis_id


def count(service: Service, table: Any) -> int:
    with service.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def present_id(_: UnitOfWork, result: Any) -> tuple[int, Any]:
    return 201, {"crisis_id": result}


def test_repeated_key_returns_first_answer_and_writes_nothing(service: Service) -> None:
    command = OpenCrisis(title="Crue", kind=CrisisKind.INONDATION, exercise=True)
    first = service.bus.handle_and_present(
        command, actor=OFFICER, present=present_id, key="k-1", fingerprint="f"
    )
    entries = count(service, journal)
    second = service.bus.handle_and_present(
        command, actor=OFFICER, present=present_id, key="k-1", fingerprint="f"
    )
    assert second.body == first.body
    assert second.replayed and not first.replayed
    assert count(service, crises) == 1
    assert count(service, journal) == entries


def test_same_key_for_another_request_is_refused(service: Service) -> None:
    command = OpenCrisis(title="Crue", kind=CrisisKind.INONDATION, exercise=True)
    service.bus.handle_and_present(
        command, actor=OFFICER, present=present_id, key="k-2", fingerprint="f1"
    )
    with pytest.raises(IdempotencyMismatch, match="requête différente"):
        service.bus.handle_and_present(
            command, actor=OFFICER, present=present_id, key="k-2", fingerprint="f2"
        )
    assert count(service, crises) == 1


def test_auditor_may_not_write(service: Service) -> None:
    with pytest.raises(Forbidden, match="rôle"):
        service.bus.handle(
            OpenCrisis(title="x", kind=CrisisKind.AUTRE, exercise=True), actor=AUDITOR
        )
    assert count(service, crises) == 0


def test_double_tap_activation_gives_one_activation_and_one_conflict(service: Service) -> None:
    crisis_id = open_crisis(service)
    command = ActivateCod(
        crisis_id=crisis_id, decision=CodDecision(decided_by="préfet", synergi_ref="S-1")
    )
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def tap() -> None:
        barrier.wait()
        try:
            service.bus.handle(command, actor=OFFICER)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    with service.bus.unit_of_work() as uow:
        kinds = [e.kind for e in uow.journal.entries(crisis_id)]
        assert uow.journal.verify(crisis_id).ok
    assert kinds.count("event.CodActivated") == 1
    assert kinds.count("refused.ActivateCod") == 1


def test_concurrent_deadline_checks_raise_each_alert_once(
    service: Service, clock: ManualClock
) -> None:
    crisis_id = open_crisis(service)
    service.bus.handle(
        ActivateCod(
            crisis_id=crisis_id, decision=CodDecision(decided_by="préfet", synergi_ref="S")
        ),
        actor=OFFICER,
    )
    clock.advance(timedelta(minutes=61))
    barrier = threading.Barrier(4)

    def check() -> None:
        barrier.wait()
        service.bus.handle(CheckDeadlines(crisis_id=None), actor=SYSTEM_ACTOR)

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count(service, clock_alerts) == 16  # 4 clocks x (3 warnings + 1 breach)
    with service.bus.unit_of_work() as uow:
        kinds = [e.kind for e in uow.journal.entries(crisis_id)]
    assert kinds.count("event.ClockWarning") == 12
    assert kinds.count("event.ClockBreached") == 4


def test_a_check_with_nothing_due_leaves_no_trace(service: Service) -> None:
    open_crisis(service)
    before = count(service, journal)
    service.bus.handle(CheckDeadlines(), actor=SYSTEM_ACTOR)
    assert count(service, journal) == before


def test_unknown_crisis_is_not_found(service: Service) -> None:
    with pytest.raises(NotFound, match="Aucun événement"):
        service.bus.handle(
            ActivateCod(crisis_id="nope", decision=CodDecision(decided_by="p", synergi_ref="S")),
            actor=OFFICER,
        )
