"""One leader among several schedulers on one database; a standby takes over when it stops."""

from __future__ import annotations

from sqlalchemy import Engine

from crisis.bootstrap import SchedulerMode, bootstrap
from crisis.clock import SystemClock
from crisis.ops.metrics import Metrics
from crisis.scheduling.jobs import ScheduledJobs
from crisis.scheduling.leadership import leadership_for, worker_lock
from crisis.scheduling.supervisor import SchedulerRole, SchedulerSupervisor
from crisis.scheduling.watch import SchedulerWatch
from crisis.settings import Settings


def supervisor(engine: Engine) -> SchedulerSupervisor:
    clock = SystemClock()
    service = bootstrap(
        settings=Settings(), clock=clock, engine=engine, scheduler_mode=SchedulerMode.NONE
    )
    watch = SchedulerWatch(
        clock=clock, metrics=Metrics(engine, clock), sweep_seconds=3600, notify=lambda _: None
    )
    return SchedulerSupervisor(
        engine,
        clock=clock,
        jobs=ScheduledJobs(service.bus, watch),
        leadership=leadership_for(engine),
        sweep_seconds=3600,
        poll_seconds=3600,  # the test drives the election by hand
        notify_channel=None,
    )


def test_one_leader_and_a_standby_that_takes_over(engine: Engine) -> None:
    first, second = supervisor(engine), supervisor(engine)
    try:
        first.tick()
        second.tick()
        assert (first.role, second.role) == (SchedulerRole.LEADER, SchedulerRole.STANDBY)
        assert first.running and not second.running
        second.tick()
        assert second.role is SchedulerRole.STANDBY
        first.shutdown()
        assert first.role is SchedulerRole.STOPPED
        second.tick()  # released before the shutdown returns, not once the server notices
        assert str(second.role) == "leader"
        assert second.running
    finally:
        first.shutdown()
        second.shutdown()


def test_a_stopped_dispatcher_s_name_is_free_at_once(engine: Engine) -> None:
    """A dispatcher restarted right after it stopped finds its name free (on PostgreSQL the
    session's end released it only once the server had ended the session)."""
    for _ in range(30):
        first = worker_lock(engine, "dispatcher-1")
        assert first.try_acquire()
        first.release()
        second = worker_lock(engine, "dispatcher-1")
        try:
            assert second.try_acquire()
        finally:
            second.release()
