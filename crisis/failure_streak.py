"""A recurring task that keeps failing (a poll while the database is away) logs its first
failure with the traceback, then a short reminder now and then, and one line when it works
again: a ten-minute outage must not bury the log under identical tracebacks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class FailureStreak:
    """`subject` is put in each line through its format (`%s`), the count after it (`%d`)."""

    def __init__(
        self,
        log: logging.Logger,
        subject: str,
        *,
        remind_every: int = 30,
        level: int = logging.WARNING,
        first: str = "%s",
        still: str = "%s (toujours, %d tentatives)",
        back: str = "%s : rétabli après %d tentatives",
    ) -> None:
        self._log = log
        self._subject = subject
        self._remind_every = remind_every
        self._level = level
        self._first, self._still, self._back = first, still, back
        self.count = 0  # failures in a row

    def failed(self) -> None:
        """Called from the `except` block of the failed attempt."""
        self.count += 1
        if self.count == 1:
            self._log.log(self._level, self._first, self._subject, exc_info=True)
        elif self.count % self._remind_every == 0:
            self._log.log(self._level, self._still, self._subject, self.count)

    def succeeded(self) -> None:
        if self.count:
            self._log.warning(self._back, self._subject, self.count)
            self.count = 0


class OncePer:
    """For failures met by many requests at once (every poll of every open console while the
    database is away): the traceback at most once per period, a plain line otherwise."""

    def __init__(self, seconds: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._monotonic = monotonic
        self._last: float | None = None
        self._lock = threading.Lock()

    def due(self) -> bool:
        now = self._monotonic()
        with self._lock:
            if self._last is not None and now - self._last < self._seconds:
                return False
            self._last = now
            return True
