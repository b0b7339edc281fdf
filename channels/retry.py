"""When to try a failed delivery again: exponential backoff with jitter, honouring Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 2.0
    factor: float = 2.0
    max_delay_seconds: float = 300.0
    give_up_after: timedelta = timedelta(hours=2)

    def delay(self, attempt: int, *, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay_seconds, self.base_seconds * self.factor ** (attempt - 1))
        # "Equal jitter": at least half the backoff, so retries of one fan-out spread out
        # without ever collapsing to zero.
        backoff = ceiling / 2 + rng.uniform(0, ceiling / 2)
        return max(backoff, retry_after or 0.0)

    def gives_up(self, *, first_queued_at: datetime, now: datetime) -> bool:
        """Only time ends the retries: an outage shorter than `give_up_after` loses nothing."""
        return now - first_queued_at >= self.give_up_after
