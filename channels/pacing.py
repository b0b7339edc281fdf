"""Pacing a provider at its declared rate, and pausing it when it asks us to wait."""

from __future__ import annotations

import asyncio


class Pacer:
    """Spaces calls at most `rate_per_second` apart; `pause` holds every caller for a while.

    Uses the event loop's own time, the clock asyncio sleeps on.
    """

    def __init__(self, rate_per_second: float) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._interval = 1.0 / rate_per_second
        self._next_slot = 0.0
        self._paused_until = 0.0

    @property
    def rate_per_second(self) -> float:
        return 1.0 / self._interval

    async def wait(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        slot = max(loop_time, self._next_slot, self._paused_until)
        self._next_slot = slot + self._interval
        if slot > loop_time:
            await asyncio.sleep(slot - loop_time)

    def pause(self, seconds: float) -> None:
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)


class KeyedPacer:
    """One pacer per key (a Telegram chat, say), created on first use."""

    def __init__(self, rate_per_second: float) -> None:
        self._rate = rate_per_second
        self._pacers: dict[str, Pacer] = {}

    async def wait(self, key: str) -> None:
        pacer = self._pacers.get(key)
        if pacer is None:
            pacer = self._pacers[key] = Pacer(self._rate)
        await pacer.wait()
