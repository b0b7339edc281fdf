"""The scheduler watching itself: no scheduled job may fail quietly.

Every run of a scheduled job goes through `SchedulerWatch.run`. A failure is logged with its
traceback once (then a reminder now and then), counted in
`crisis_scheduler_job_failures_total{task}`, and once a job is *in failure* — any failure of the
deadline check, or `failures_before_alert` failures in a row of another job — the duty officer
gets one alert « Contrôle des échéances en panne » and `/readyz` says why until a run of that
job succeeds; then one alert « rétabli ». The deadline sweep's last success is its heartbeat:
a leader whose sweep has not succeeded for three periods is not ready either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crisis.clock import Clock
from crisis.failure_streak import FailureStreak
from crisis.french import counted, long_datetime
from crisis.ops.metrics import Metrics

log = logging.getLogger(__name__)

DEADLINES_JOB = "deadlines"
JOB_LABELS = {
    DEADLINES_JOB: "contrôle des échéances",
    "callouts": "relances de l'astreinte",
    "drill_notices": "préavis des exercices",
    "drill_runs": "lancement des exercices programmés",
    "plan": "planification des échéances",
}
# A sweep that has not succeeded for this many periods means the deadlines are not watched.
STALE_SWEEP_PERIODS = 3


@dataclass(frozen=True, slots=True)
class SchedulerNotice:
    """One alert about the scheduler itself: `down` or `restored`."""

    state: str
    subject: str
    text: str
    jobs: tuple[str, ...]


Notify = Callable[[SchedulerNotice], None]


@dataclass(slots=True)
class _Failing:
    count: int
    since: datetime
    reason: str


class SchedulerWatch:
    def __init__(
        self,
        *,
        clock: Clock,
        metrics: Metrics,
        sweep_seconds: float,
        notify: Notify,
        failures_before_alert: int = 3,
    ) -> None:
        self._clock = clock
        self._metrics = metrics
        self._sweep_period = timedelta(seconds=sweep_seconds)
        self._notify = notify
        self._failures_before_alert = failures_before_alert
        self._lock = threading.Lock()
        self._streaks: dict[str, FailureStreak] = {}
        self._failing: dict[str, _Failing] = {}
        self._alerted = False
        self._last_sweep: datetime | None = None
        self._leading_since: datetime | None = None

    def leading(self) -> None:
        """The scheduler starts (it became the leader): its sweep is expected from now on."""
        with self._lock:
            self._leading_since = self._clock.now()
            self._last_sweep = None

    def standing_by(self) -> None:
        """The scheduler stopped (leadership lost, or the service closes): no sweep expected."""
        with self._lock:
            self._leading_since = None
            self._last_sweep = None
            self._metrics.deadline_sweep_heartbeat.set(0)

    def run(self, job: str, work: Callable[[], object], *, sweep: bool = False) -> None:
        """Run one job; a failure is accounted for here and never raised to the scheduler."""
        try:
            work()
        except Exception as error:
            self._failed(job, error)
        else:
            self._succeeded(job, sweep=sweep)

    def _streak(self, job: str) -> FailureStreak:
        streak = self._streaks.get(job)
        if streak is None:
            streak = self._streaks[job] = FailureStreak(
                log,
                f"tâche planifiée « {JOB_LABELS.get(job, job)} » en échec",
                remind_every=20,
                level=logging.ERROR,
            )
        return streak

    def _failed(self, job: str, error: Exception) -> None:
        self._metrics.scheduler_job_failures.labels(job).inc()
        notice = None
        with self._lock:
            self._streak(job).failed()
            failing = self._failing.get(job)
            if failing is None:
                failing = self._failing[job] = _Failing(0, self._clock.now(), "")
            failing.count += 1
            failing.reason = _reason(error)
            if not self._alerted and self._tripped():
                self._alerted = True
                notice = self._down_notice()
            self._metrics.scheduler_jobs_failing.set(len(self._tripped()))
        if notice is not None:
            self._notify(notice)

    def _succeeded(self, job: str, *, sweep: bool) -> None:
        notice = None
        with self._lock:
            if sweep:
                self._last_sweep = self._clock.now()
                self._metrics.deadline_sweep_heartbeat.set(self._last_sweep.timestamp())
            if job in self._streaks:
                self._streaks[job].succeeded()
            if self._failing.pop(job, None) is not None:
                if self._alerted and not self._tripped():
                    self._alerted = False
                    notice = self._restored_notice(job)
                self._metrics.scheduler_jobs_failing.set(len(self._tripped()))
        if notice is not None:
            self._notify(notice)

    def _tripped(self) -> list[str]:
        """The jobs in failure: the deadline check at its first failure, the others later."""
        return sorted(
            job
            for job, failing in self._failing.items()
            if job == DEADLINES_JOB or failing.count >= self._failures_before_alert
        )

    def _down_notice(self) -> SchedulerNotice:
        jobs = self._tripped()
        lines = [self._describe(job) for job in jobs]
        return SchedulerNotice(
            state="down",
            subject="Contrôle des échéances en panne",
            text=(
                "Contrôle des échéances en panne : " + " ; ".join(lines) + ". Les alertes "
                "d'horloge (30, 45, 55 et 60 minutes), les relances d'astreinte et les "
                "exercices programmés peuvent ne plus partir : surveillez les horloges à la "
                "main et prévenez l'exploitant."
            ),
            jobs=tuple(jobs),
        )

    def _restored_notice(self, job: str) -> SchedulerNotice:
        return SchedulerNotice(
            state="restored",
            subject="Contrôle des échéances rétabli",
            text=(
                f"Contrôle des échéances rétabli le {long_datetime(self._clock.now())} "
                f"({JOB_LABELS.get(job, job)} de nouveau en service). Les alertes manquées "
                "pendant la panne sont levées maintenant, avec leur instant d'échéance."
            ),
            jobs=(job,),
        )

    def _describe(self, job: str) -> str:
        failing = self._failing[job]
        return (
            f"{JOB_LABELS.get(job, job)} en échec depuis le {long_datetime(failing.since)} "
            f"({counted(failing.count, 'échec')} de suite : {failing.reason})"
        )

    def reasons(self) -> list[str]:
        """Why the scheduler is not to be trusted now, in French; empty when it is."""
        with self._lock:
            reasons = [self._describe(job) for job in self._tripped()]
            since = self._last_sweep or self._leading_since
            if since is not None:
                age = self._clock.now() - since
                if age > self._sweep_period * STALE_SWEEP_PERIODS:
                    last = (
                        f"dernier passage réussi il y a {int(age.total_seconds())} s"
                        if self._last_sweep is not None
                        else f"aucun passage réussi en {int(age.total_seconds())} s de service"
                    )
                    reasons.append(
                        f"contrôle des échéances en retard : {last} (attendu toutes les "
                        f"{int(self._sweep_period.total_seconds())} s)"
                    )
            return reasons

    def last_sweep(self) -> datetime | None:
        with self._lock:
            return self._last_sweep


def _reason(error: Exception) -> str:
    """A short, log-safe reason: the error's kind (its text may hold a query or an address)."""
    return type(error).__name__
