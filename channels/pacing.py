"""Pacing a provider at its declared rate, and pausing it when it asks us to wait.

A token bucket of capacity one, whose token is taken at the instant of sending: a caller
that waited re-reads the loop's clock when it wakes, so an event loop that stalled for a
while releases one send, not every slot it would have handed out in advance. Sends are
therefore spaced at least `1 / rate` apart, and no window of one second can hold more than
the rate. The bucket runs a little under the declared rate (`HEADROOM`) so that the jitter
between our send and the provider's arrival cannot push two sends into the same second.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

# 2 % under the declared rate: at 50/s, 20 ms of network jitter stays inside the limit.
HEADROOM = 0.02


class TokenBucket:
    """One token, refilled every `1 / rate` seconds; callers queue in arrival order."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        headroom: float = HEADROOM,
        time: Callable[[], float] | None = None,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        if not 0 <= headroom < 1:
            raise ValueError("headroom must be in [0, 1)")
        self._limit = rate_per_second
        self._interval = 1.0 / (rate_per_second * (1 - headroom))
        self._time = time
        self._last_take = float("-inf")
        self._paused_until = float("-inf")
        self._queue = asyncio.Lock()  # FIFO: only the head of the queue watches the clock

    @property
    def rate_per_second(self) -> float:
        return self._limit

    def _now(self) -> float:
        return self._time() if self._time is not None else asyncio.get_running_loop().time()

    def delay(self) -> float:
        """Seconds until a token is free (0 when one is free now)."""
        ready_at = max(self._last_take + self._interval, self._paused_until)
        return max(0.0, ready_at - self._now())

    def take(self) -> None:
        """Take the token now; the caller has checked that `delay()` is 0."""
        self._last_take = self._now()

    async def ready(self) -> None:
        """Wait until a token is free, without taking it (several buckets taken together)."""
        while (wait := self.delay()) > 0:
            await asyncio.sleep(wait)

    async def acquire(self, *, then: TokenBucket | None = None) -> None:
        """Wait for the token and take it; with `then`, take that bucket's at the same instant.

        While this caller waits for `then`, it keeps its place at the head of this bucket's
        queue, so nothing else takes this token in between.
        """
        async with self._queue:
            await self.ready()
            if then is not None:
                await then.acquire()
            self.take()

    def idle(self) -> bool:
        return not self._queue.locked() and self.delay() == 0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)


class KeyedBuckets:
    """One bucket per key (a Telegram chat, say), created on first use, forgotten when idle.

    A fan-out to 100,000 chats touches each chat once: the buckets whose token is free again
    are dropped as new ones are made, so memory follows the chats in flight, not all of them.
    """

    def __init__(self, rate_per_second: float, *, headroom: float = HEADROOM) -> None:
        self._rate = rate_per_second
        self._headroom = headroom
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle()
            bucket = self._buckets[key] = TokenBucket(self._rate, headroom=self._headroom)
        return bucket

    def _forget_idle(self, checks: int = 2) -> None:
        # The oldest buckets come first (dicts keep insertion order); checking a couple per
        # new bucket keeps up with any fan-out at constant cost.
        for key in list(itertools.islice(self._buckets, checks)):
            bucket = self._buckets.pop(key)
            if not bucket.idle():
                self._buckets[key] = bucket  # still busy: to the back of the line

    async def acquire(self, key: str, *, then: TokenBucket | None = None) -> None:
        await self.bucket(key).acquire(then=then)

    def __len__(self) -> int:
        return len(self._buckets)
