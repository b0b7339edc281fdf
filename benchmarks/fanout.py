"""Fan-out benchmark: the durable outbox against a bare python-telegram-bot loop.

    PYTHONPATH=. .venv/bin/python benchmarks/fanout.py [--deliveries 5000] [--concurrency 50]
        [--fake nginx|python] [--repeat 2] [--database sqlite|postgresql]

1. `bare`: N sendMessage calls with python-telegram-bot alone, at the given concurrency.
2. `outbox`: N deliveries written by SendMessage into the outbox (SQLite in a temporary
   folder, or a PostgreSQL schema of its own with `--database postgresql`), then sent by the
   real dispatcher loop (claims, sends and recorded outcomes pipelined; outcomes through the
   bus and the hash-chained journal). On PostgreSQL, the server's own CPU time is not counted.

Both talk to the same provider fake: nginx answering every call with a static sendMessage
result (started here on a free loopback port, with its own configuration, when nginx is
installed: the provider is then never the bottleneck), or else the Python fake Telegram
server in a process of its own. Each run's rate and CPU time (this process, every thread)
are measured; runs are interleaved and repeated, the best of each kept. Prints the rate
ratio (outbox / bare, goal ≥ 0.95) and the CPU-per-delivery ratio (goal ≤ 1.05). The last
line is `fanout_ratio=<outbox rate / bare rate>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# python-telegram-bot 22 warns when it builds a RetryAfter unless this behaviour is chosen.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from benchmarks.support import (
    FIRST_CHAT,
    TELEGRAM_TOKEN,
    NginxTelegramFake,
    TelegramFakeProcess,
    load_average,
    scratch_database,
    telegram_fanout,
)


def _outbox_run(
    base_url: str, *, deliveries: int, concurrency: int, batch_size: int, database: str = "sqlite"
) -> tuple[float, float]:
    """Dispatch a fan-out of `deliveries` through the real channel loop; (seconds, CPU s)."""
    from channels.registry import close_channels
    from crisis.dispatching import make_dispatcher

    with (
        scratch_database(database) as (url, folder),
        telegram_fanout(
            url,
            folder,
            base_url,
            deliveries=deliveries,
            concurrency=concurrency,
            batch_size=batch_size,
            rate=None,
        ) as (service, crisis_id),
    ):
        dispatcher = make_dispatcher(
            service.bus, service.catalog, clock=service.clock, worker="bench"
        )

        def pending() -> int:
            with service.bus.reading() as uow:
                return uow.outbox.pending_count()

        async def dispatch() -> tuple[datetime, float]:
            cpu, started = time.process_time(), service.clock.now()
            running = asyncio.create_task(dispatcher.run())
            try:
                # Polled seldom, so that the benchmark's own queries weigh little in the CPU
                # time; the run ends when the last delivery was recorded, read afterwards.
                while await asyncio.to_thread(pending) > 0:
                    await asyncio.sleep(0.5)
                return started, time.process_time() - cpu
            finally:
                dispatcher.stop()
                await running
                await close_channels(service.catalog.production)

        started, cpu = asyncio.run(dispatch())
        with service.bus.reading() as uow:
            done = uow.outbox.deliveries_of(crisis_id=crisis_id)
            assert {d.status for d in done} == {"accepted"}
            assert uow.journal.verify(crisis_id).ok
        finished = max(d.finished_at for d in done if d.finished_at is not None)
        return (finished - started).total_seconds(), cpu


def _bare_run(base_url: str, *, deliveries: int, concurrency: int) -> tuple[float, float]:
    from telegram import Bot, LinkPreviewOptions
    from telegram.request import HTTPXRequest

    async def run() -> tuple[float, float]:
        request = HTTPXRequest(
            connection_pool_size=concurrency,
            connect_timeout=10,
            read_timeout=10,
            write_timeout=10,
            pool_timeout=10,
        )
        bot = Bot(TELEGRAM_TOKEN, base_url=base_url, request=request)
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                await bot.send_message(
                    chat_id=str(FIRST_CHAT + i),
                    text="Banc d'essai : message de diffusion.",
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )

        try:
            cpu, started = time.process_time(), time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(deliveries)))
            return time.perf_counter() - started, time.process_time() - cpu
        finally:
            await request.shutdown()

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--fake", choices=["nginx", "python"], default=None)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    n, concurrency = args.deliveries, args.concurrency
    use_nginx = args.fake == "nginx" or (args.fake is None and NginxTelegramFake.available())
    fake: Any = NginxTelegramFake() if use_nginx else TelegramFakeProcess()
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    with contextlib.ExitStack() as stack:
        stack.enter_context(fake)
        print(f"provider fake: {'nginx (static answer)' if use_nginx else 'Python, own process'}")
        _bare_run(fake.base_url, deliveries=200, concurrency=concurrency)  # warm-up
        bare_runs: list[tuple[float, float]] = []
        outbox_runs: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            bare_runs.append(_bare_run(fake.base_url, deliveries=n, concurrency=concurrency))
            outbox_runs.append(
                _outbox_run(
                    fake.base_url,
                    deliveries=n,
                    concurrency=concurrency,
                    batch_size=args.batch_size,
                    database=args.database,
                )
            )
    bare_seconds, bare_cpu = min(bare_runs)
    outbox_seconds, outbox_cpu = min(outbox_runs)
    bare_rate, outbox_rate = n / bare_seconds, n / outbox_seconds
    print(
        f"bare python-telegram-bot: {n} messages in {bare_seconds:.2f} s = {bare_rate:.0f}/s, "
        f"{bare_cpu / n * 1e6:.0f} µs CPU per message (runs: "
        + ", ".join(f"{n / s:.0f}/s" for s, _ in bare_runs)
        + ")"
    )
    print(
        f"outbox ({args.database}, dispatcher loop, batch {args.batch_size}): {n} deliveries in "
        f"{outbox_seconds:.2f} s = {outbox_rate:.0f}/s, {outbox_cpu / n * 1e6:.0f} µs CPU per "
        "delivery (runs: " + ", ".join(f"{n / s:.0f}/s" for s, _ in outbox_runs) + ")"
    )
    print(
        f"rate ratio {outbox_rate / bare_rate:.3f} (goal ≥ 0.95), "
        f"CPU per delivery ratio {outbox_cpu / bare_cpu:.3f} (goal ≤ 1.05)"
    )
    print(f"load average after: {load_average()}")
    print(f"fanout_ratio={outbox_rate / bare_rate:.3f}")


if __name__ == "__main__":
    main()
