"""Pacing holds after the event loop stalls: arrivals at a fake never exceed the limit.

The dispatcher sends through the real Telegram channel to the fake Bot API server (its own
thread, so it keeps receiving while the dispatcher's loop is blocked). A blocking call on the
dispatcher's loop plays the stall: a garbage collection, a slow query, a busy machine. The old
pacer handed out slots in advance and released all the overdue ones at once after such a
stall; a token taken at send time cannot.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from channels.config import TelegramConfig
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
)
from channels.dispatcher import (
    ClaimedDelivery,
    DeliveryResult,
    Dispatcher,
    DispatcherConfig,
    Outcome,
)
from channels.telegram import telegram_dm
from crisis.clock import SystemClock
from tests.fakes._http import Request, Response
from tests.fakes.telegram import FakeTelegramServer

TOKEN = "515151:PACING-test-token"


class ListOutbox:
    """An outbox in memory: hands out its deliveries in batches, keeps the results."""

    def __init__(self, pending: Sequence[ClaimedDelivery]) -> None:
        self._pending = list(pending)
        self.results: list[DeliveryResult] = []

    def claim(
        self,
        *,
        worker: str,
        channels: Collection[str],
        now: datetime,
        limit: int,
        lease: timedelta,
    ) -> list[ClaimedDelivery]:
        batch, self._pending = self._pending[:limit], self._pending[limit:]
        return batch

    def record(self, results: Sequence[DeliveryResult]) -> None:
        self.results.extend(results)

    def release(self, *, worker: str) -> int:
        return 0


class TimedTelegram(FakeTelegramServer):
    """The fake Bot API, noting when each sendMessage arrives (and to which chat)."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token=token)
        self.arrivals: list[tuple[float, str]] = []
        self._arrival_lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        if request.path.endswith("/sendMessage"):
            with self._arrival_lock:
                self.arrivals.append((time.monotonic(), request.form().get("chat_id", "")))
        return super().handle(request)


def max_in_any_second(instants: Sequence[float]) -> int:
    ordered = sorted(instants)
    best, start = 0, 0
    for end, instant in enumerate(ordered):
        while instant - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def delivery(number: int, *, channel: str, chat: str) -> ClaimedDelivery:
    return ClaimedDelivery(
        id=f"d-{number}",
        message_id="m-1",
        crisis_id="c-1",
        audience="elus",
        channel=channel,
        recipient_kind=RecipientKind.TELEGRAM_CHAT,
        recipient=chat,
        text="Crue de la Seine : évitez les berges.",
        exercise=False,
        allowed_in_exercise=True,
        attempts=0,
        queued_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def run_with_stall(
    dispatcher: Dispatcher, *, at: float, seconds: float
) -> tuple[float, float]:
    """Run the dispatcher until idle, its loop blocked for `seconds` after `at` seconds;
    return when the stall began and ended (`time.monotonic()`)."""
    stall: list[float] = []

    def block() -> None:
        # time.sleep on the loop is the stall: nothing else runs on it meanwhile.
        stall.append(time.monotonic())
        time.sleep(seconds)
        stall.append(time.monotonic())

    asyncio.get_running_loop().call_later(at, block)
    await dispatcher.run_until_idle()
    began, ended = stall
    return began, ended


@pytest.fixture
def telegram() -> Iterator[TimedTelegram]:
    with TimedTelegram() as server:
        yield server


def test_a_stall_never_lets_more_than_the_limit_through_in_any_second(
    telegram: TimedTelegram,
) -> None:
    limit = 20.0
    channel = telegram_dm(
        TelegramConfig(token=SecretStr(TOKEN), base_url=telegram.base_url, rate_per_second=limit),
        clock=SystemClock(),
    )
    outbox = ListOutbox(
        [delivery(i, channel="telegram_dm", chat=str(1_000 + i)) for i in range(45)]
    )
    dispatcher = Dispatcher(
        outbox=outbox,
        production_channels={"telegram_dm": channel},
        exercise_channels={},
        clock=SystemClock(),
        config=DispatcherConfig(batch_size=100, concurrency=50),
    )

    async def main() -> tuple[float, float]:
        try:
            return await run_with_stall(dispatcher, at=0.5, seconds=0.7)
        finally:
            await channel.aclose()

    began, ended = asyncio.run(main())

    assert [r.outcome for r in outbox.results] == [Outcome.ACCEPTED] * 45
    instants = [at for at, _ in telegram.arrivals]
    assert len(instants) == 45
    assert max_in_any_second(instants) <= limit
    # The stall fell in the middle of the fan-out: some messages went before, most after.
    assert min(instants) < began
    assert sum(1 for at in instants if at > ended) >= 20


class RecordingChannel:
    """An in-process channel with a per-chat limit, noting when each send reaches it."""

    name = "chat_channel"
    recipient_kind = RecipientKind.TELEGRAM_CHAT
    limits = ChannelLimits(
        max_length=None,
        length_unit=LengthUnit.UNLIMITED,
        rate_per_second=200.0,
        per_chat_rate_per_second=5.0,
    )

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []

    async def send(self, message: OutgoingMessage) -> Receipt:
        self.arrivals.append((time.monotonic(), message.recipient))
        await asyncio.sleep(0.005)
        return Receipt(provider_message_id=message.delivery_id, accepted_at=datetime.now(UTC))

    async def check(self) -> str:
        return "ok"


def test_each_chat_keeps_its_own_limit_through_a_stall() -> None:
    channel = RecordingChannel()
    # One busy chat among many: its 12 messages wait their turn, the others do not.
    pending = [delivery(i, channel=channel.name, chat="busy") for i in range(12)]
    pending += [delivery(100 + i, channel=channel.name, chat=f"chat-{i}") for i in range(40)]
    outbox = ListOutbox(pending)
    dispatcher = Dispatcher(
        outbox=outbox,
        production_channels={channel.name: channel},
        exercise_channels={},
        clock=SystemClock(),
        config=DispatcherConfig(batch_size=100, concurrency=50),
    )

    asyncio.run(run_with_stall(dispatcher, at=0.6, seconds=0.8))

    assert len(outbox.results) == 52
    assert all(r.outcome is Outcome.ACCEPTED for r in outbox.results)
    busy = [at for at, chat in channel.arrivals if chat == "busy"]
    everyone = [at for at, _ in channel.arrivals]
    assert max_in_any_second(busy) <= 5
    assert max_in_any_second(everyone) <= 200
    # The other chats were not held behind the busy one: all of them arrive before its last
    # message, which its own limit spreads over two seconds or more. (A bound on their own
    # spread, < 1 s, failed once on a loaded CI machine: the 0.8 s stall fell among them.)
    others = sorted(at for at, chat in channel.arrivals if chat != "busy")
    assert busy[-1] - busy[0] > 1.5
    assert others[-1] < busy[-1]


class SlowRecordingOutbox(ListOutbox):
    """Records take long (a slow database): counts what was sent but not yet recorded."""

    def __init__(self, pending: Sequence[ClaimedDelivery], sent: list[str]) -> None:
        super().__init__(pending)
        self._sent = sent
        self.most_unrecorded = 0

    def claim(self, **kwargs: Any) -> list[ClaimedDelivery]:
        self.most_unrecorded = max(self.most_unrecorded, len(self._sent) - len(self.results))
        return super().claim(**kwargs)

    def record(self, results: Sequence[DeliveryResult]) -> None:
        time.sleep(0.2)
        self.most_unrecorded = max(self.most_unrecorded, len(self._sent) - len(self.results))
        super().record(results)


def test_no_more_than_three_batches_wait_to_be_recorded() -> None:
    """The bound on duplicates after a crash: however far recording falls behind, at most
    three batches are sent and not yet recorded."""
    channel = RecordingChannel()
    sent: list[str] = []
    outbox = SlowRecordingOutbox(
        [delivery(i, channel=channel.name, chat=f"chat-{i}") for i in range(200)], sent
    )
    original_send = channel.send

    async def counting_send(message: OutgoingMessage) -> Receipt:
        receipt = await original_send(message)
        sent.append(message.delivery_id)
        return receipt

    channel.send = counting_send  # type: ignore[method-assign]
    dispatcher = Dispatcher(
        outbox=outbox,
        production_channels={channel.name: channel},
        exercise_channels={},
        clock=SystemClock(),
        config=DispatcherConfig(batch_size=10, concurrency=20, pace=False),
    )

    async def main() -> None:
        running = asyncio.create_task(dispatcher.run())
        while len(outbox.results) < 200:
            await asyncio.sleep(0.05)
        dispatcher.stop()
        await running

    asyncio.run(asyncio.wait_for(main(), timeout=60))
    assert len(outbox.results) == 200
    assert 10 < outbox.most_unrecorded <= 30
