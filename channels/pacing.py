"""Pacing a provider at its declared rate, and pausing it when it asks us to wait.

A token bucket whose token is taken at the instant of sending: a caller that waited re-reads
the loop's clock when it wakes, so an event loop that stalled for a while releases one send,
not every slot it would have handed out in advance. It is kept in its "virtual scheduling"
form (the generic cell rate algorithm of ATM networks and API gateways): the instant the
next send is due, `T` apart, with a small tolerance `τ` so that a waiter that wakes a few
milliseconds late does not lose its slot for good (which would lower the rate under load).

Bound: n sends in any one-second window need (n - 1)·T - τ < 1 s, so n < 1 + (1 + τ) / T.
With T = 1 / (0.975 × rate) (`HEADROOM`) and τ ≤ 5 ms, n ≤ rate for any rate, and 20 ms
are left for the jitter between our send and the provider's arrival.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

# 2.5 % under the declared rate: 5 ms of it for the tolerance, the rest for the jitter.
HEADROOM = 0.025
MAX_TOLERANCE = 0.005


class TokenBucket:
    """One send every `T` seconds, a late waiter forgiven up to `τ`; callers queue in order."""

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
        # τ: at most half a slot, and never more than the headroom leaves room for.
        self._tolerance = min(self._interval / 2, MAX_TOLERANCE, headroom / 2)
        self._time = time
        self._due = float("-inf")  # the theoretical instant of the next send
        self._paused_until = float("-inf")
        self._queue = asyncio.Lock()  # FIFO: only the head of the queue watches the clock

    @property
    def rate_per_second(self) -> float:
        return self._limit

    def _now(self) -> float:
        return self._time() if self._time is not None else asyncio.get_running_loop().time()

    def delay(self) -> float:
        """Seconds until a token is free (0 when one is free now)."""
        ready_at = max(self._due - self._tolerance, self._paused_until)
        return max(0.0, ready_at - self._now())

    def take(self) -> None:
        """Take the token now; the caller has checked that `delay()` is 0."""
        self._due = max(self._due, self._now()) + self._interval

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
