"""Scheduled jobs of one service: each posts a command to that service's bus.

A job holds no logic: it posts `CheckDeadlines`, `RunDueDrills`… and its handler does the work.
The jobs are bound to the bus they were given, never found through module-level state: a
drill's isolated service lives in the same process as the real one, and closing it must leave
the real one's jobs untouched. Each run goes through the service's `SchedulerWatch`, which
counts and reports the failures.
"""

from __future__ import annotations

from collections.abc import Callable

from crisis.domain.commands import CheckDeadlines
from crisis.domain.oncall import CheckCallouts
from crisis.domain.programme import NotifyDrillParticipants, RunDueDrills
from crisis.scheduling.watch import DEADLINES_JOB, SchedulerWatch
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR


class ScheduledJobs:
    def __init__(self, bus: MessageBus, watch: SchedulerWatch) -> None:
        self._bus = bus
        self.watch = watch

    def check_deadlines(self, crisis_id: str | None = None) -> None:
        """The deadline sweep (no crisis) or one due instant of a crisis."""
        self.watch.run(
            DEADLINES_JOB,
            lambda: self._bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR),
            sweep=crisis_id is None,
        )

    def check_callouts(self, crisis_id: str | None = None) -> None:
        self._run(
            "callouts",
            lambda: self._bus.handle(CheckCallouts(crisis_id=crisis_id), actor=SYSTEM_ACTOR),
        )

    def notify_drill_participants(self) -> None:
        self._run(
            "drill_notices",
            lambda: self._bus.handle(NotifyDrillParticipants(), actor=SYSTEM_ACTOR),
        )

    def run_due_drills(self) -> None:
        """Post `RunDueDrills`; the bus's after-commit hook plays what it claimed."""
        self._run("drill_runs", lambda: self._bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR))

    def _run(self, job: str, work: Callable[[], object]) -> None:
        self.watch.run(job, work)
