"""The scheduler of one process among several: a standby until it wins the leadership.

Every `crisis serve` runs a supervisor. It tries to take the leadership at start and then every
`leader_poll_seconds`; the winner starts the deadline scheduler (and, on PostgreSQL, listens for
the due instants announced by the other processes); a leader that loses its lock (its database
connection died) stops its scheduler at once and becomes a standby again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from enum import StrEnum

from sqlalchemy import Engine

from crisis.clock import Clock
from crisis.domain.events import Event
from crisis.scheduling.announce import DueInstant, Listener
from crisis.scheduling.jobs import ScheduledJobs
from crisis.scheduling.leadership import Leadership
from crisis.scheduling.scheduler import DeadlineScheduler

log = logging.getLogger(__name__)


class SchedulerRole(StrEnum):
    LEADER = "leader"
    STANDBY = "standby"
    STOPPED = "stopped"


ROLE_LABELS = {
    SchedulerRole.LEADER: "meneur : déclenche les échéances, relances et exercices",
    SchedulerRole.STANDBY: "en réserve : prendra le relais si le meneur s'arrête",
    SchedulerRole.STOPPED: "arrêté",
}


class SchedulerSupervisor:
    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock,
        leadership: Leadership,
        sweep_seconds: int,
        poll_seconds: float,
        notify_channel: str | None,
        jobs: ScheduledJobs,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._leadership = leadership
        self._sweep_seconds = sweep_seconds
        self._poll_seconds = poll_seconds
        self._notify_channel = notify_channel
        self._jobs = jobs
        self._scheduler: DeadlineScheduler | None = None
        self._listener: Listener | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name="crisis-scheduler-election", daemon=True
        )
        self.on_role_change: list[Callable[[SchedulerRole], None]] = []

    @property
    def role(self) -> SchedulerRole:
        if self._stopping.is_set():
            return SchedulerRole.STOPPED
        return SchedulerRole.LEADER if self._scheduler is not None else SchedulerRole.STANDBY

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    @property
    def scheduler(self) -> DeadlineScheduler | None:
        return self._scheduler

    def start(self) -> None:
        self.tick()  # a lone service leads from its first instant
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self._poll_seconds):
            try:
                self.tick()
            except Exception:
                log.exception("élection du planificateur : erreur inattendue")

    def tick(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            if self._scheduler is not None:
                if not self._leadership.still_held():
                    log.warning("planificateur : direction perdue, passage en réserve")
                    self._step_down()
                return
            if self._leadership.try_acquire():
                self._lead()

    def _lead(self) -> None:
        scheduler = DeadlineScheduler(
            self._engine, clock=self._clock, sweep_seconds=self._sweep_seconds, jobs=self._jobs
        )
        scheduler.start()
        self._scheduler = scheduler
        if self._notify_channel is not None:
            self._listener = Listener(self._engine, self._notify_channel, self._on_announced)
            self._listener.start()
        log.info("planificateur : ce processus est le meneur")
        self._changed()

    def _step_down(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        if scheduler is not None:
            scheduler.shutdown()
        self._leadership.release()
        self._changed()

    def _changed(self) -> None:
        for callback in self.on_role_change:
            callback(self.role)

    def _on_announced(self, instant: DueInstant) -> None:
        scheduler = self._scheduler
        if scheduler is not None:
            scheduler.schedule(instant)

    def schedule_events(self, events: Sequence[Event]) -> None:
        """After-commit hook: this process's own commands, when it leads."""
        scheduler = self._scheduler
        if scheduler is not None:
            scheduler.schedule_events(events)

    def wakeup(self) -> None:
        scheduler = self._scheduler
        if scheduler is not None:
            scheduler.wakeup()

    def listening(self, timeout: float) -> bool:
        """Whether the leader's listener is ready (for tests and the readiness check)."""
        listener = self._listener
        return listener is None or listener.listening.wait(timeout)

    def shutdown(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._poll_seconds + 5)
        with self._lock:
            self._step_down()
