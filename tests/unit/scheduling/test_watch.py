"""The scheduler watching itself: failures counted, one alert, readiness, heartbeat."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from sqlalchemy import create_engine

from crisis.clock import ManualClock
from crisis.ops.metrics import Metrics
from crisis.scheduling.watch import DEADLINES_JOB, SchedulerNotice, SchedulerWatch

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


class Fixture:
    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.metrics = Metrics(create_engine("sqlite://"), self.clock)
        self.notices: list[SchedulerNotice] = []
        self.watch = SchedulerWatch(
            clock=self.clock, metrics=self.metrics, sweep_seconds=15, notify=self.notices.append
        )

    def metric(self, line_start: str) -> float:
        for line in generate_latest(self.metrics.registry).decode().splitlines():
            if line.startswith(line_start + " "):
                return float(line.split()[-1])
        return 0.0


def boom() -> None:
    raise ConnectionError("base injoignable")


def ok() -> None:
    return None


@pytest.fixture
def f() -> Fixture:
    return Fixture()


def test_a_deadline_check_failure_alerts_once_and_readiness_says_why(
    f: Fixture, caplog: pytest.LogCaptureFixture
) -> None:
    f.watch.leading()
    with caplog.at_level(logging.ERROR, logger="crisis.scheduling.watch"):
        for _ in range(3):
            f.watch.run(DEADLINES_JOB, boom, sweep=True)
            f.clock.advance(timedelta(seconds=15))
    assert [n.state for n in f.notices] == ["down"]
    down = f.notices[0]
    assert down.subject == "Contrôle des échéances en panne"
    assert "contrôle des échéances en échec depuis le" in down.text
    assert "ConnectionError" in down.text
    assert down.jobs == (DEADLINES_JOB,)
    # The traceback once, not at every run.
    with_traceback = [r for r in caplog.records if r.exc_info is not None]
    assert len(with_traceback) == 1
    reasons = f.watch.reasons()
    assert any("3 échecs de suite" in r for r in reasons)
    assert f.metric('crisis_scheduler_job_failures_total{task="deadlines"}') == 3
    assert f.metric("crisis_scheduler_jobs_failing") == 1

    f.watch.run(DEADLINES_JOB, ok, sweep=True)
    assert [n.state for n in f.notices] == ["down", "restored"]
    assert f.notices[1].subject == "Contrôle des échéances rétabli"
    assert f.watch.reasons() == []
    assert f.metric("crisis_scheduler_jobs_failing") == 0
    assert (
        f.metric("crisis_deadline_sweep_last_success_timestamp_seconds")
        == f.clock.now().timestamp()
    )


def test_another_job_alerts_after_three_failures_in_a_row(f: Fixture) -> None:
    f.watch.run("callouts", boom)
    f.watch.run("callouts", boom)
    f.watch.run("callouts", ok)  # the streak is broken
    f.watch.run("callouts", boom)
    f.watch.run("callouts", boom)
    assert f.notices == []
    assert f.watch.reasons() == []
    f.watch.run("callouts", boom)
    assert [n.jobs for n in f.notices] == [("callouts",)]
    assert "relances de l'astreinte" in f.notices[0].text
    # A second job failing while the alert stands adds no alert; the recovery waits for both.
    f.watch.run(DEADLINES_JOB, boom)
    f.watch.run("callouts", ok)
    assert len(f.notices) == 1
    assert len(f.watch.reasons()) == 1
    f.watch.run(DEADLINES_JOB, ok)
    assert [n.state for n in f.notices] == ["down", "restored"]


def test_a_failure_never_reaches_the_scheduler(f: Fixture) -> None:
    f.watch.run("drill_runs", boom)  # no exception: APScheduler would log it again, unseen
    assert f.metric('crisis_scheduler_job_failures_total{task="drill_runs"}') == 1


def test_a_sweep_that_stops_succeeding_makes_the_leader_not_ready(f: Fixture) -> None:
    assert f.watch.reasons() == []  # a standby expects no sweep
    f.watch.leading()
    f.clock.advance(timedelta(seconds=45))
    assert f.watch.reasons() == []
    f.clock.advance(timedelta(seconds=1))
    assert f.watch.reasons() == [
        "contrôle des échéances en retard : aucun passage réussi en 46 s de service "
        "(attendu toutes les 15 s)"
    ]
    f.watch.run(DEADLINES_JOB, ok, sweep=True)
    assert f.watch.reasons() == []
    assert f.watch.last_sweep() == f.clock.now()
    f.clock.advance(timedelta(seconds=50))
    assert f.watch.reasons() == [
        "contrôle des échéances en retard : dernier passage réussi il y a 50 s "
        "(attendu toutes les 15 s)"
    ]
    # A dated deadline check (one crisis) is no sweep: it does not count as the heartbeat.
    f.watch.run(DEADLINES_JOB, ok)
    assert len(f.watch.reasons()) == 1
    f.watch.standing_by()
    assert f.watch.reasons() == []
    assert f.metric("crisis_deadline_sweep_last_success_timestamp_seconds") == 0
