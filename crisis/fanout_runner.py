"""Continuing large fan-outs in the background, a chunk per transaction, beside the dispatcher."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from crisis.domain.commands import ContinueFanout
from crisis.failure_streak import FailureStreak
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR
from crisis.services.fanout_handlers import FanoutProgress

log = logging.getLogger(__name__)

# How often a runner looks for fan-outs it was not woken for: those a stopped process left,
# or those another process (an API worker) accepted.
POLL_SECONDS = 2.0


class FanoutRunner:
    """Writes the rest of every unfinished fan-out, oldest first, waking the dispatcher after
    each chunk so that it sends them while the next is written."""

    def __init__(
        self,
        bus: MessageBus,
        *,
        on_progress: Callable[[], None] = lambda: None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._bus = bus
        self._on_progress = on_progress
        self._poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_pending(self) -> int:
        """Finish every fan-out that is unfinished now; the number of chunks written."""
        with self._bus.reading() as uow:
            unfinished = uow.fanouts.unfinished()
        return sum(self._finish(message_id) for message_id in unfinished)

    def _finish(self, message_id: str) -> int:
        chunks = 0
        while not self._stopping.is_set():
            try:
                progress: FanoutProgress = self._bus.handle(
                    ContinueFanout(message_id=message_id), actor=SYSTEM_ACTOR
                )
            except Exception:
                # Its position is saved with each chunk: the next round resumes from there.
                log.exception(
                    "mise en file en arrière-plan interrompue, reprise au prochain tour",
                    extra={"message_id": message_id},
                )
                break
            chunks += 1
            self._on_progress()
            if progress.finished:
                break
        return chunks

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="fanout", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _main(self) -> None:
        streak = FailureStreak(
            log, "recherche des mises en file inachevées impossible", level=logging.ERROR
        )
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.run_pending()
            except Exception:
                streak.failed()
            else:
                streak.succeeded()
            self._wake.wait(self._poll_seconds)
