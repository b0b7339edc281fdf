"""The persistent scheduler on both databases, on frozen time: warnings and breach fire on
time, fire at start when the service was down, and never fire twice across restarts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from sqlalchemy import Engine

from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import Actor
from crisis.settings import Settings
from crisis.store.journal import JournalEntry

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u1")
T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
ALERT_KINDS = ("event.ClockWarning", "event.ClockBreached")


@pytest.fixture
def frozen() -> Iterator[FrozenDateTimeFactory]:
    with freeze_time(T0) as factory:
        assert isinstance(factory, FrozenDateTimeFactory)
        yield factory


def start_service(engine: Engine, settings: Settings) -> Service:
    return bootstrap(settings=settings, engine=engine, scheduler_mode=SchedulerMode.RUN)


def stop_service(service: Service) -> None:
    assert service.scheduler is not None
    service.scheduler.shutdown()


def alerts(service: Service, crisis_id: str) -> list[JournalEntry]:
    with service.bus.unit_of_work() as uow:
        return [e for e in uow.journal.entries(crisis_id) if e.kind in ALERT_KINDS]


def wait_for_alerts(service: Service, crisis_id: str, expected: int) -> list[JournalEntry]:
    """Poll in real time (frozen time does not move) until the scheduler thread has worked."""
    found: list[JournalEntry] = []
    for _ in range(200):
        found = alerts(service, crisis_id)
        if len(found) >= expected:
            break
        time.sleep(0.02)
    return found


def activate(service: Service) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de la Seine",
            kind=CrisisKind.INONDATION,
            exercise=True,
            activation=CodDecision(decided_by="préfet", synergi_ref=None),
        ),
        actor=OFFICER,
    )
    return crisis_id


def test_each_warning_and_the_breach_fire_on_time_exactly_once(
    engine: Engine, settings: Settings, frozen: FrozenDateTimeFactory
) -> None:
    service = start_service(engine, settings)
    assert service.scheduler is not None
    try:
        crisis_id = activate(service)
        expected_total = 0
        for minutes, per_clock in ((30, 1), (45, 1), (55, 1), (60, 1)):
            frozen.move_to(T0 + timedelta(minutes=minutes, seconds=1))
            service.scheduler.wakeup()
            expected_total += 4 * per_clock
            found = wait_for_alerts(service, crisis_id, expected_total)
            assert len(found) == expected_total, f"at +{minutes} min"
            newest = found[-4:]
            assert {e.payload["due_at"] for e in newest} == {
                (T0 + timedelta(minutes=minutes)).isoformat()
            }
        time.sleep(0.2)
        assert len(alerts(service, crisis_id)) == 16
    finally:
        stop_service(service)


def test_alerts_due_while_down_fire_at_start_with_their_true_instant_and_only_once(
    engine: Engine, settings: Settings, frozen: FrozenDateTimeFactory
) -> None:
    first = start_service(engine, settings)
    crisis_id = activate(first)
    assert first.scheduler is not None and first.scheduler.scheduler is not None
    deadline_jobs = [j for j in first.scheduler.scheduler.job_ids() if j.startswith("deadline:")]
    assert len(deadline_jobs) == 4  # the 4 due instants shared by the clocks
    stop_service(first)

    frozen.move_to(T0 + timedelta(minutes=70))
    second = start_service(engine, settings)
    try:
        found = wait_for_alerts(second, crisis_id, 16)
    finally:
        stop_service(second)
    assert len(found) == 16
    due = sorted({e.payload["due_at"] for e in found})
    assert due == [(T0 + timedelta(minutes=m)).isoformat() for m in (30, 45, 55, 60)]
    assert {e.payload["raised_at"] for e in found} == {(T0 + timedelta(minutes=70)).isoformat()}

    frozen.move_to(T0 + timedelta(minutes=90))
    third = start_service(engine, settings)
    try:
        time.sleep(0.3)
        assert third.scheduler is not None
        third.scheduler.wakeup()
        time.sleep(0.3)
        assert len(alerts(third, crisis_id)) == 16
    finally:
        stop_service(third)
