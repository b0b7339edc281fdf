"""The one clock: every piece of logic asks an injected clock for the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock moved by hand, for tests and for drills on virtual time."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now = self._now + delta
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = ensure_utc(instant)


def ensure_utc(instant: datetime) -> datetime:
    """Refuse naive datetimes and normalise aware ones to UTC."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: an instant must carry its UTC offset")
    return instant.astimezone(UTC)
