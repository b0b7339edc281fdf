"""The database away: each channel's loop backs off, logs once and then a reminder, says
when claiming works again, and sends what was waiting; stopping does not wait for a pause."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import pytest

from channels import dispatcher as dispatcher_module
from channels.dispatcher import ClaimedDelivery, Dispatcher, DispatcherConfig
from crisis.clock import SystemClock
from tests.integration.delivery.test_pacing import ListOutbox, RecordingChannel, delivery


class FailingOutbox(ListOutbox):
    """Claims fail `failures` times (forever if None), then hand out the deliveries."""

    def __init__(self, pending: Sequence[ClaimedDelivery], failures: int | None) -> None:
        super().__init__(pending)
        self._failures = failures
        self.attempts: list[float] = []

    def claim(self, **kwargs: Any) -> list[ClaimedDelivery]:
        self.attempts.append(time.monotonic())
        if self._failures is None or len(self.attempts) <= self._failures:
            raise ConnectionError("connection refused (test)")
        return super().claim(**kwargs)


def _dispatcher(
    outbox: FailingOutbox, channel: RecordingChannel, *, idle_seconds: float = 0.01
) -> Dispatcher:
    return Dispatcher(
        outbox=outbox,
        production_channels={channel.name: channel},
        exercise_channels={},
        clock=SystemClock(),
        config=DispatcherConfig(idle_seconds=idle_seconds, pace=False),
    )


def test_failed_claims_back_off_log_little_and_resume(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(dispatcher_module, "MAX_FAILURE_PAUSE_SECONDS", 0.08)
    channel = RecordingChannel()
    outbox = FailingOutbox([delivery(i, channel=channel.name, chat="c") for i in range(5)], 14)
    dispatcher = _dispatcher(outbox, channel)

    async def main() -> None:
        running = asyncio.create_task(dispatcher.run())
        # New deliveries announced all the while: they must not cut the pauses short.
        while len(outbox.results) < 5:
            dispatcher.wake()
            await asyncio.sleep(0.001)
        dispatcher.stop()
        await running

    with caplog.at_level(logging.WARNING, logger="channels.dispatcher"):
        asyncio.run(asyncio.wait_for(main(), timeout=30))

    assert len(outbox.results) == 5
    # The 14 pauses after the failures (later claims find nothing and idle as usual).
    gaps = [later - earlier for earlier, later in pairwise(outbox.attempts)][:14]
    expected = [min(0.08, 0.01 * 2**k) for k in range(14)]
    assert all(gap >= pause * 0.9 for gap, pause in zip(gaps, expected, strict=True)), (
        gaps,
        expected,
    )
    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert lines == [
        ("ERROR", "claiming deliveries for chat_channel failed; retrying", True),
        ("ERROR", "claiming deliveries for chat_channel still fails (12 attempts)", False),
        (
            "WARNING",
            "claiming deliveries for chat_channel works again after 14 failed attempts",
            False,
        ),
    ]


def test_stopping_does_not_wait_for_the_pause() -> None:
    channel = RecordingChannel()
    outbox = FailingOutbox([], None)
    # Pauses of 1 s, then 2 s, then 4 s: stopped during the 2 s one.
    dispatcher = _dispatcher(outbox, channel, idle_seconds=1.0)

    async def main() -> float:
        running = asyncio.create_task(dispatcher.run())
        while len(outbox.attempts) < 2:
            await asyncio.sleep(0.01)
        asked = time.monotonic()
        dispatcher.stop()
        await running
        return time.monotonic() - asked

    # Well under the pause it was in (a loaded machine may take a while to get there).
    assert asyncio.run(asyncio.wait_for(main(), timeout=60)) < 1.0
