"""Pacing benchmark: does the outbox ever exceed a provider's limit in any second?

    PYTHONPATH=. .venv/bin/python benchmarks/pacing.py [--limit 50] [--seconds 12]

The real dispatcher (its channel loop: claims, sends and recorded outcomes pipelined) sends a
Telegram fan-out from the outbox (SQLite in a temporary folder) to the fake Bot API server,
which runs in a process of its own and notes when each message arrives. Two runs at
`--limit` messages per second, each about `--seconds` long:

1. `calm`: nothing else happens;
2. `stalls`: every 1.5 s the dispatcher's event loop is blocked for 0.4 s (a busy machine, a
   long garbage collection): the limiter must not release the sends it missed.

For each run: the most arrivals in any one-second window over the limit (must be ≤ 1.00)
and the achieved rate over the limit (first to last arrival, stall time included; the goal
is ≥ 0.97 for the calm run). Runs in under a minute. The last line is
`pacing_ratio=<max in any second / limit>`, the worse of the two runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from benchmarks.support import (
    TelegramFakeProcess,
    load_average,
    max_in_window,
    scratch_database,
    telegram_fanout,
)


async def _dispatch_all(dispatcher: object, fake: TelegramFakeProcess, total: int) -> None:
    from channels.dispatcher import Dispatcher

    assert isinstance(dispatcher, Dispatcher)
    running = asyncio.create_task(dispatcher.run())
    try:
        while not running.done():
            if await asyncio.to_thread(fake.count) >= total:
                break
            await asyncio.sleep(0.2)
    finally:
        dispatcher.stop()
        await running


async def _stall_every(period: float, stall: float) -> None:
    while True:
        await asyncio.sleep(period)
        time.sleep(stall)  # blocks the loop: nothing else runs meanwhile


def run(
    fake: TelegramFakeProcess, *, limit: float, seconds: float, stalls: bool
) -> tuple[float, float]:
    from channels.registry import close_channels
    from crisis.dispatching import make_dispatcher

    deliveries = int(limit * seconds)
    fake.reset()
    with (
        scratch_database("sqlite") as (url, folder),
        telegram_fanout(
            url,
            folder,
            fake.base_url,
            deliveries=deliveries,
            concurrency=50,
            batch_size=100,
            rate=limit,
        ) as (service, _),
    ):
        dispatcher = make_dispatcher(
            service.bus, service.catalog, clock=service.clock, worker="pacing"
        )

        async def main() -> None:
            stalling = asyncio.create_task(_stall_every(1.5, 0.4)) if stalls else None
            try:
                await _dispatch_all(dispatcher, fake, deliveries)
            finally:
                if stalling is not None:
                    stalling.cancel()
                await close_channels(service.catalog.production)

        asyncio.run(main())
    sent, chats, arrivals = fake.stats()
    assert sent == deliveries == chats, (sent, chats, deliveries)
    arrivals.sort()
    busiest = max_in_window(arrivals)
    achieved = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    name = "stalls" if stalls else "calm"
    print(
        f"{name}: {deliveries} deliveries at a limit of {limit:g}/s: at most {busiest} in any "
        f"second ({busiest / limit:.2f} × the limit), {achieved:.2f}/s achieved "
        f"({achieved / limit:.3f} × the limit)"
    )
    return busiest / limit, achieved / limit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    with TelegramFakeProcess() as fake:
        calm, _ = run(fake, limit=args.limit, seconds=args.seconds, stalls=False)
        stalled, _ = run(fake, limit=args.limit, seconds=args.seconds, stalls=True)
    print(f"load average after: {load_average()}")
    print(f"pacing_ratio={max(calm, stalled):.2f}")


if __name__ == "__main__":
    main()
