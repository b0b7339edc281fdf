"""Pacing a provider at its declared rate, and pausing it when it asks us to wait.

Two rules decide when the next send may go, both read from the loop's clock at the instant
of sending (a caller that waited re-reads it when it wakes, so an event loop that stalled
releases what the rules allow then, never slots handed out in advance):

1. **The cap**, which is the bound itself: a send may start only while fewer than `N` sends
   are in flight or finished less than `W` ago, `N / W` being the declared rate over one
   second (or one send per `1 / rate` seconds below one per second). A send reaches the
   provider after it started and before its answer came back, so any window of one second
   at the provider holds at most `N` arrivals, however late a send was written after its
   start (a stalled event loop) or however slow its answer. A small margin covers the
   provider's clock reading against ours.
2. **The spacing** (the generic cell rate algorithm): one send every `T` seconds, `T` a hair
   under the rate's own interval, a late caller forgiven up to `τ`. It spreads the sends
   over the second instead of letting the cap release them all at once, and its tolerance
   lets a sender that woke late catch up (the cap still holds) rather than lose the time for
   good, which used to cost a busy machine a tenth of the rate.

A caller takes a token with `acquire()` and gives it back with `finished()` once the
provider has answered (or the send failed): until then it counts against the cap.
"""

from __future__ import annotations

import asyncio
import collections
import math
from collections.abc import Callable

# Our clock and the provider's may disagree by this much on when a second starts.
CLOCK_MARGIN = 0.005
# The spacing runs this much faster than the rate: the cap, not the spacing, is what holds
# a steady sender back.
SPACING_HEADROOM = 0.01
# How late a caller may be and still catch up, in seconds of sends.
CATCH_UP_SECONDS = 0.1
# While the cap is full of sends in flight, how often the head of the queue looks again.
IN_FLIGHT_POLL_SECONDS = 0.005


class TokenBucket:
    """At most the rate in any second (the cap), spread over it (the spacing); callers queue
    in order."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        time: Callable[[], float] | None = None,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._limit = rate_per_second
        self._cap = max(1, math.floor(rate_per_second))
        self._window = self._cap / rate_per_second + CLOCK_MARGIN
        self._in_flight = 0
        # When the recent sends finished, oldest first; never more than the cap.
        self._finished: collections.deque[float] = collections.deque(maxlen=self._cap)
        self._interval = 1.0 / (rate_per_second * (1 + SPACING_HEADROOM))
        self._tolerance = min(CATCH_UP_SECONDS, self._window)
        self._time = time
        self._due = float("-inf")  # the theoretical instant of the next send (the spacing)
        self._paused_until = float("-inf")
        self._queue = asyncio.Lock()  # FIFO: only the head of the queue watches the clock
        self._queued = 0  # callers in `acquire`'s queue, the head included

    @property
    def rate_per_second(self) -> float:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def _now(self) -> float:
        return self._time() if self._time is not None else asyncio.get_running_loop().time()

    def delay(self) -> float:
        """Seconds until a token is free (0 when one is free now)."""
        now = self._now()
        finished = self._finished
        while finished and finished[0] + self._window <= now:
            finished.popleft()
        ready_at = max(self._due - self._tolerance, self._paused_until)
        if self._in_flight + len(finished) >= self._cap:
            if finished:
                ready_at = max(ready_at, finished[0] + self._window)
            else:  # only sends in flight: the next one to finish frees nothing for a second
                ready_at = max(ready_at, now + IN_FLIGHT_POLL_SECONDS)
        return max(0.0, ready_at - now)

    def take(self) -> None:
        """Take the token now; the caller has checked that `delay()` is 0."""
        self._due = max(self._due, self._now()) + self._interval
        self._in_flight += 1

    def finished(self) -> None:
        """A send taken from this bucket is over: it counts for one more window."""
        self._in_flight = max(0, self._in_flight - 1)
        self._finished.append(self._now())

    async def ready(self) -> None:
        """Wait until a token is free, without taking it (several buckets taken together)."""
        while (wait := self.delay()) > 0:
            await asyncio.sleep(wait)

    async def acquire(self, *, then: TokenBucket | None = None) -> None:
        """Wait for the token and take it; with `then`, take that bucket's at the same instant.

        While this caller waits for `then`, it keeps its place at the head of this bucket's
        queue, so nothing else takes this token in between.
        """
        if self._free_now() and (then is None or then._free_now()):
            # Nobody queues and the tokens are free: both taken at once, without a wait (a
            # fan-out to thousands of chats passes here for each new chat).
            self.take()
            if then is not None:
                then.take()
            return
        self._queued += 1
        try:
            async with self._queue:
                await self.ready()
                if then is not None:
                    await then.acquire()
                self.take()
        finally:
            self._queued -= 1

    def _free_now(self) -> bool:
        """A token is free and nobody queues for it (a caller woken by the lock but not yet
        running still counts as queued)."""
        return self._queued == 0 and self.delay() == 0

    def idle(self) -> bool:
        return self._queued == 0 and self._in_flight == 0 and self.delay() == 0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)


class KeyedBuckets:
    """One bucket per key (a Telegram chat, say), created on first use, forgotten when idle.

    A fan-out to 100,000 chats touches each chat once: the buckets whose token is free again
    are dropped as new ones are made, so memory follows the chats in flight, not all of them.
    """

    def __init__(self, rate_per_second: float, *, time: Callable[[], float] | None = None) -> None:
        self._rate = rate_per_second
        self._time = time
        # Oldest first. Not a dict: taking from the front of a dict and putting back at its
        # end leaves holes that every later look at the front walks over (10 µs per new
        # chat once a fan-out has 50,000 chats in flight).
        self._buckets: collections.OrderedDict[str, TokenBucket] = collections.OrderedDict()

    def bucket(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle()
            bucket = self._buckets[key] = TokenBucket(self._rate, time=self._time)
        return bucket

    def _forget_idle(self, checks: int = 2) -> None:
        # Checking the oldest couple per new bucket keeps up with any fan-out at constant cost.
        for _ in range(min(checks, len(self._buckets))):
            key, bucket = self._buckets.popitem(last=False)
            if not bucket.idle():
                self._buckets[key] = bucket  # still busy: to the back of the line

    def __len__(self) -> int:
        return len(self._buckets)
