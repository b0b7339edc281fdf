"""Throughput of the fake Telegram server driven by python-telegram-bot through the channel.

Run: PYTHONPATH=. python -m tests.benchmarks.telegram_fake [messages] [concurrency] [pool]
Loopback only, bounded in count; prints messages per second.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime

from pydantic import SecretStr

from channels.config import TelegramConfig
from channels.contract import OutgoingMessage, RecipientKind
from channels.telegram import telegram_dm
from crisis.clock import ManualClock
from tests.fakes.telegram import FakeTelegramServer

TOKEN = "123456:BENCH-token"


async def run(fake: FakeTelegramServer, total: int, concurrency: int, pool: int) -> float:
    config = TelegramConfig(
        token=SecretStr(TOKEN), base_url=fake.base_url, connection_pool_size=pool
    )
    channel = telegram_dm(config, clock=ManualClock(datetime(2025, 1, 1, tzinfo=UTC)))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await channel.send(
                OutgoingMessage(
                    delivery_id=f"b-{i}",
                    recipient_kind=RecipientKind.TELEGRAM_CHAT,
                    recipient=str(1000 + i % 500),
                    text=f"Message de charge n° {i} : évacuation.",
                    exercise=False,
                )
            )

    try:
        await channel.check()  # warm-up
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start
    finally:
        await channel.aclose()


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    pool = int(sys.argv[3]) if len(sys.argv) > 3 else concurrency
    with FakeTelegramServer(token=TOKEN) as fake:
        elapsed = asyncio.run(run(fake, total, concurrency, pool))
        assert fake.message_count == total
    rate = total / elapsed
    setup = f"{total} messages, concurrency {concurrency}, pool {pool}"
    print(f"{setup}: {elapsed:.2f} s, {rate:.0f}/s")


if __name__ == "__main__":
    main()
