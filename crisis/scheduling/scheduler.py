"""The deadline scheduler: one persistent job per due instant, plus a periodic sweep."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from crisis.clock import Clock
from crisis.domain.events import ClockStarted, Event

log = logging.getLogger(__name__)

JOB_FUNCTION = "crisis.scheduling.jobs:check_deadlines"
SWEEP_JOB_ID = "sweep-deadlines"
CALLOUT_JOB_FUNCTION = "crisis.scheduling.jobs:check_callouts"
CALLOUT_SWEEP_JOB_ID = "sweep-callouts"
DRILL_NOTICE_JOB_FUNCTION = "crisis.scheduling.jobs:notify_drill_participants"
DRILL_NOTICE_SWEEP_JOB_ID = "sweep-drill-notices"
DRILL_RUN_JOB_FUNCTION = "crisis.scheduling.jobs:run_due_drills"
DRILL_RUN_SWEEP_JOB_ID = "sweep-drill-runs"
JOB_TABLE = "apscheduler_jobs"


class DeadlineScheduler:
    def __init__(self, engine: Engine, *, clock: Clock, sweep_seconds: int) -> None:
        self._clock = clock
        self._sweep_seconds = sweep_seconds
        self._scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self, *, paused: bool = False) -> None:
        """Start; jobs whose instant passed while the service was down run at once.

        A paused scheduler only writes jobs to the store (the CLI uses it that way).
        """
        self._scheduler.start(paused=paused)
        if not paused:
            self._scheduler.add_job(
                JOB_FUNCTION,
                trigger="interval",
                seconds=self._sweep_seconds,
                id=SWEEP_JOB_ID,
                replace_existing=True,
                next_run_time=self._clock.now(),  # catch up at once after a restart
            )
            self._scheduler.add_job(
                CALLOUT_JOB_FUNCTION,
                trigger="interval",
                seconds=self._sweep_seconds,
                id=CALLOUT_SWEEP_JOB_ID,
                replace_existing=True,
                next_run_time=self._clock.now(),
            )
            # The exercise programme: notices and due drills, each once (see their handlers).
            for function, job_id in (
                (DRILL_NOTICE_JOB_FUNCTION, DRILL_NOTICE_SWEEP_JOB_ID),
                (DRILL_RUN_JOB_FUNCTION, DRILL_RUN_SWEEP_JOB_ID),
            ):
                self._scheduler.add_job(
                    function,
                    trigger="interval",
                    seconds=self._sweep_seconds,
                    id=job_id,
                    replace_existing=True,
                    next_run_time=self._clock.now(),
                )

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def schedule_clock_checks(self, events: Sequence[Event]) -> None:
        """After-commit hook: a job at each warning and deadline of each started clock."""
        for event in events:
            if not isinstance(event, ClockStarted):
                continue
            offsets = [*event.warning_offsets, event.target_minutes]
            for offset in offsets:
                due = event.started_at + timedelta(minutes=offset)
                self._scheduler.add_job(
                    JOB_FUNCTION,
                    trigger="date",
                    run_date=due,
                    args=[event.crisis_id],
                    id=f"deadline:{event.crisis_id}:{due.isoformat()}",
                    replace_existing=True,
                )

    def schedule_callout_checks(self, events: Sequence[Event]) -> None:
        """After-commit hook: a job at the instant each page's acknowledgement time is over."""
        from crisis.domain.oncall import MemberPaged, RoleUnstaffed

        for event in events:
            if not isinstance(event, MemberPaged | RoleUnstaffed):
                continue
            due = event.ack_due_at
            self._scheduler.add_job(
                CALLOUT_JOB_FUNCTION,
                trigger="date",
                run_date=due,
                args=[event.crisis_id],
                id=f"callout:{event.crisis_id}:{due.isoformat()}",
                replace_existing=True,
            )

    def wakeup(self) -> None:
        """Look at the job store again now (after a jump of the clock, say)."""
        self._scheduler.wakeup()

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())
