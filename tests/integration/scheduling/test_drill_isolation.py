"""A drill's isolated service lives in the process of the real one: playing it, and closing it,
must leave the real scheduler's jobs alone (they once lost their bus: no warning, no breach)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from sqlalchemy import Engine

from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import Actor
from crisis.settings import Settings
from drills.model import bundled_scenarios, load_scenario
from drills.runner import DrillRunner

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u1")
T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
ALERT_KINDS = ("event.ClockWarning", "event.ClockBreached")


@pytest.fixture
def frozen() -> Iterator[FrozenDateTimeFactory]:
    with freeze_time(T0) as factory:
        assert isinstance(factory, FrozenDateTimeFactory)
        yield factory


def activate(service: Service, title: str) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title=title,
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-1"),
        ),
        actor=OFFICER,
    )
    return crisis_id


def alert_count(service: Service, crisis_id: str) -> int:
    with service.bus.reading() as uow:
        return sum(e.kind in ALERT_KINDS for e in uow.journal.entries(crisis_id))


def wait_for(service: Service, crisis_ids: list[str], expected: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _ in range(300):
        counts = {c: alert_count(service, c) for c in crisis_ids}
        if all(n >= expected for n in counts.values()):
            break
        time.sleep(0.02)
    return counts


def settled_reasons(service: Service) -> list[str]:
    assert service.watch is not None
    reasons = service.watch.reasons()
    for _ in range(300):
        if not reasons:
            break
        time.sleep(0.02)
        reasons = service.watch.reasons()
    return reasons


def play_drill(tmp_path: Path, name: str) -> None:
    scenario = load_scenario(bundled_scenarios()["crue-seine"])
    DrillRunner(scenario, start=T0, make_service=bootstrap).run(tmp_path / name)


def test_drills_closing_their_services_leave_the_live_deadlines_running(
    engine: Engine, settings: Settings, frozen: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    service = bootstrap(settings=settings, engine=engine, scheduler_mode=SchedulerMode.RUN)
    assert service.scheduler is not None and service.watch is not None
    try:
        before = activate(service, "Crue avant l'exercice")
        play_drill(tmp_path, "premier")
        after = activate(service, "Crue après l'exercice")
        play_drill(tmp_path, "second")
        expected = 0
        for minutes in (30, 45, 55, 60):
            frozen.move_to(T0 + timedelta(minutes=minutes, seconds=1))
            service.scheduler.wakeup()
            expected += 4
            counts = wait_for(service, [before, after], expected)
            assert counts == {before: expected, after: expected}, f"at +{minutes} min"
        # The alerts are visible before the job that raised them has returned and been counted.
        assert settled_reasons(service) == []
        text = service.metrics.registry.get_sample_value(
            "crisis_scheduler_job_failures_total", {"task": "deadlines"}
        )
        assert text is None  # no deadline job ever failed
    finally:
        service.scheduler.shutdown()  # the engine is the session's: not disposed here
