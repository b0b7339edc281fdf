"""The one composition root: settings, clock, store, scheduler and bus wired together."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine

from crisis.clock import Clock, SystemClock
from crisis.scheduling import jobs
from crisis.scheduling.scheduler import DeadlineScheduler
from crisis.services.bus import MessageBus
from crisis.settings import Settings
from crisis.store.engine import make_engine


class SchedulerMode(StrEnum):
    RUN = "run"  # the service: jobs fire in this process
    WRITE_ONLY = "write_only"  # the CLI: jobs are written to the store for the service
    NONE = "none"


@dataclass
class Service:
    settings: Settings
    clock: Clock
    engine: Engine
    bus: MessageBus
    scheduler: DeadlineScheduler | None

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        jobs.install(None)
        self.engine.dispose()


def open_engine(settings: Settings) -> Engine:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.resolved_database_url)


def bootstrap(
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    engine: Engine | None = None,
    scheduler_mode: SchedulerMode = SchedulerMode.NONE,
) -> Service:
    settings = settings or Settings()
    clock = clock or SystemClock()
    engine = engine or open_engine(settings)
    bus = MessageBus(engine=engine, clock=clock, settings=settings)
    scheduler: DeadlineScheduler | None = None
    if scheduler_mode is not SchedulerMode.NONE:
        scheduler = DeadlineScheduler(engine, clock=clock, sweep_seconds=settings.sweep_seconds)
        bus.after_commit.append(scheduler.schedule_clock_checks)
        jobs.install(bus)
        scheduler.start(paused=scheduler_mode is SchedulerMode.WRITE_ONLY)
    return Service(settings=settings, clock=clock, engine=engine, bus=bus, scheduler=scheduler)
