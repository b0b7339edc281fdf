"""Stopping the scheduler while one of its jobs adds a job (the plan, an after-commit hook):
APScheduler's shutdown waits for that job while holding the lock the job needs. It once hung
for good (seen in the suite); the scheduler now refuses new jobs once shutdown has begun."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine

from crisis.bootstrap import bootstrap
from crisis.clock import SystemClock
from crisis.ops.metrics import Metrics
from crisis.scheduling.announce import DueInstant
from crisis.scheduling.jobs import ScheduledJobs
from crisis.scheduling.scheduler import DeadlineScheduler
from crisis.scheduling.watch import SchedulerWatch
from crisis.settings import Settings
from crisis.store.migrate import upgrade


def test_shutdown_while_a_job_adds_a_job_does_not_hang() -> None:
    engine = create_engine("sqlite://")
    upgrade(engine)
    clock = SystemClock()
    service = bootstrap(settings=Settings(), clock=clock, engine=engine)
    watch = SchedulerWatch(
        clock=clock, metrics=Metrics(engine, clock), sweep_seconds=3600, notify=lambda _: None
    )
    scheduler = DeadlineScheduler(
        engine, clock=clock, sweep_seconds=3600, jobs=ScheduledJobs(service.bus, watch)
    )
    scheduler.start()
    apscheduler = scheduler._scheduler
    adding = threading.Event()
    real_add_job = apscheduler.add_job

    def slow_add_job(*args: object, **kwargs: object) -> object:
        # The window between « is it running? » and the job store's lock, made wide.
        adding.set()
        time.sleep(0.5)
        return real_add_job(*args, **kwargs)

    def adds_a_job() -> None:
        due = datetime.now(UTC) + timedelta(hours=1)
        scheduler.schedule(DueInstant("deadline", "c1", due))

    real_add_job(adds_a_job)  # a job of the scheduler's own pool
    apscheduler.add_job = slow_add_job
    assert adding.wait(10)
    stopping = threading.Thread(target=scheduler.shutdown, daemon=True)
    stopping.start()
    stopping.join(timeout=10)
    assert not stopping.is_alive(), "shutdown hung"
    assert not scheduler.running
