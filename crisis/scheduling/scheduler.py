"""The deadline scheduler of the leader: one job per due instant, plus periodic sweeps.

It runs only in the process that holds the leadership (see `supervisor`). Its jobs live in
memory: the due instants themselves are in the store, read again at each sweep, so a new leader
(or a restarted service) knows every one of them without a shared job table.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from crisis.clock import Clock
from crisis.domain.events import Event
from crisis.scheduling.announce import DueInstant, due_instants
from crisis.scheduling.jobs import ScheduledJobs
from crisis.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "sweep-deadlines"
CALLOUT_SWEEP_JOB_ID = "sweep-callouts"
DRILL_NOTICE_SWEEP_JOB_ID = "sweep-drill-notices"
DRILL_RUN_SWEEP_JOB_ID = "sweep-drill-runs"
PLAN_JOB_ID = "plan-due-instants"
PLAN_JOB = "plan"


class DeadlineScheduler:
    def __init__(
        self, engine: Engine, *, clock: Clock, sweep_seconds: int, jobs: ScheduledJobs
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._sweep_seconds = sweep_seconds
        # Jobs are this service's bound methods: nothing a job needs is found by name.
        self._jobs = jobs
        self._dated: dict[str, Callable[[str | None], None]] = {
            "deadline": jobs.check_deadlines,
            "callout": jobs.check_callouts,
        }
        self._adding = threading.Lock()
        self._stopping = False
        self._scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start; what fell due while no process led runs at once (the sweeps start now)."""
        self._jobs.watch.leading()
        self._scheduler.start()
        jobs = self._jobs
        sweeps: tuple[tuple[Callable[[], None], str], ...] = (
            (jobs.check_deadlines, SWEEP_JOB_ID),
            (jobs.check_callouts, CALLOUT_SWEEP_JOB_ID),
            # The exercise programme: notices and due drills, each once (see their handlers).
            (jobs.notify_drill_participants, DRILL_NOTICE_SWEEP_JOB_ID),
            (jobs.run_due_drills, DRILL_RUN_SWEEP_JOB_ID),
        )
        for function, job_id in sweeps:
            self._scheduler.add_job(
                function,
                trigger="interval",
                seconds=self._sweep_seconds,
                id=job_id,
                replace_existing=True,
                next_run_time=self._clock.now(),
            )
        self._scheduler.add_job(
            self._plan,
            trigger="interval",
            seconds=self._sweep_seconds,
            id=PLAN_JOB_ID,
            replace_existing=True,
            next_run_time=self._clock.now(),
        )

    def shutdown(self) -> None:
        # APScheduler's shutdown holds its job store lock while it waits for the running jobs;
        # a job adding a job then (the plan, an after-commit hook) would wait for that lock
        # forever. No job is added once shutdown has begun; one being added is waited for.
        with self._adding:
            self._stopping = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._jobs.watch.standing_by()

    def schedule(self, instant: DueInstant) -> None:
        """A job at this due instant (at once when it is already past)."""
        with self._adding:
            if self._stopping or not self._scheduler.running:
                return
            self._scheduler.add_job(
                self._dated[instant.kind],
                trigger="date",
                run_date=instant.due,
                args=[instant.crisis_id],
                id=f"{instant.kind}:{instant.crisis_id}:{instant.due.isoformat()}",
                replace_existing=True,
            )

    def schedule_events(self, events: Sequence[Event]) -> None:
        """After-commit hook of the leader's own commands."""
        for instant in due_instants(events):
            self.schedule(instant)

    def _plan(self) -> None:
        self._jobs.watch.run(PLAN_JOB, self.plan_from_store)

    def plan_from_store(self) -> None:
        """Schedule every future due instant found in the store (made by any process)."""
        now = self._clock.now()
        with UnitOfWork(self._engine, now=now) as uow:
            clocks = uow.crises.upcoming_clock_instants()
            rounds = uow.oncall.next_due_instants() + uow.approvals.next_due_instants()
        for crisis_id, due in clocks:
            if due > now:
                self.schedule(DueInstant("deadline", crisis_id, due))
        for crisis_id, due in rounds:
            if due > now:
                self.schedule(DueInstant("callout", crisis_id, due))

    def wakeup(self) -> None:
        """Look at the jobs again now (after a jump of the clock, say)."""
        self._scheduler.wakeup()

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())
