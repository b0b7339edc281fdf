"""Fan-out benchmark: the durable outbox against a bare python-telegram-bot loop.

    PYTHONPATH=. .venv/bin/python benchmarks/fanout.py [--deliveries 5000] [--concurrency 50]
        [--fake nginx|python] [--repeat 2] [--database sqlite|postgresql]

1. `bare`: N sendMessage calls with python-telegram-bot alone, at the given concurrency, on
   its default httpx transport (the reference the outbox was first measured against), then
   on the aiohttp transport the Telegram channel uses (`channels/telegram_request.py`).
2. `memory`: the real dispatcher loop and Telegram channel over an outbox held in memory
   (claims from a list, records nothing): what the loop itself adds to the bare client.
3. `outbox`: N deliveries written by SendMessage into the outbox (SQLite in a temporary
   folder, or a PostgreSQL schema of its own with `--database postgresql`), then sent by the
   real dispatcher loop (claims, sends and recorded outcomes pipelined; outcomes through the
   bus and the hash-chained journal). On PostgreSQL, the server's own CPU time is not counted.
   The CPU of the claims and of the recording, each in its thread, is printed apart.

All three talk to the same provider fake: nginx answering every call with a static sendMessage
result (started here on a free loopback port, with its own configuration, when nginx is
installed: the provider is then never the bottleneck), or else the Python fake Telegram
server in a process of its own. Each run's rate and CPU time (this process, every thread)
are measured, and the cores they kept busy (CPU time over wall time: the outbox stays under
one, its threads taking turns on the GIL); runs are interleaved and repeated, the best of each
kept. Prints, against each
bare loop, the rate ratio (outbox / bare, goal ≥ 0.95) and the CPU-per-delivery ratio (goal
≤ 1.05). The last line is the like-for-like one, against the bare loop on the same transport:
`fanout_ratio=<outbox rate / bare aiohttp rate>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
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

# The bare loop runs on both: python-telegram-bot's default transport (the reference the
# outbox was first measured against) and the aiohttp transport the channel uses.
TRANSPORTS = {
    "httpx": "its default httpx transport",
    "aiohttp": "the channel's aiohttp transport",
}


@contextlib.contextmanager
def _thread_cpu_of_outbox_steps() -> Iterator[dict[str, float]]:
    """CPU seconds spent in BusOutbox.claim and BusOutbox.record, each in its own thread."""
    from crisis.dispatching import BusOutbox

    spent = {"claim": 0.0, "record": 0.0}
    originals = {name: getattr(BusOutbox, name) for name in spent}

    def timed(name: str) -> Callable[..., Any]:
        original = originals[name]

        def step(self: Any, *args: Any, **kwargs: Any) -> Any:
            begun = time.thread_time()
            try:
                return original(self, *args, **kwargs)
            finally:
                spent[name] += time.thread_time() - begun

        return step

    for name in spent:
        setattr(BusOutbox, name, timed(name))
    try:
        yield spent
    finally:
        for name, original in originals.items():
            setattr(BusOutbox, name, original)


def _outbox_run(
    base_url: str, *, deliveries: int, concurrency: int, batch_size: int, database: str = "sqlite"
) -> tuple[float, float, dict[str, float]]:
    """Dispatch a fan-out of `deliveries` through the real channel loop; (seconds, CPU s, CPU
    s of the claims and of the records in their threads)."""
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
                return int(uow.outbox.pending_count())

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

        with _thread_cpu_of_outbox_steps() as steps:
            started, cpu = asyncio.run(dispatch())
        with service.bus.reading() as uow:
            done = uow.outbox.deliveries_of(crisis_id=crisis_id)
            assert {d.status for d in done} == {"accepted"}
            assert uow.journal.verify(crisis_id).ok
        finished = max(d.finished_at for d in done if d.finished_at is not None)
        return (finished - started).total_seconds(), cpu, steps


class _MemoryOutbox:
    """Claims from a list, records nothing: the dispatcher loop without a database."""

    def __init__(self, deliveries: int) -> None:
        from channels.contract import RecipientKind
        from channels.dispatcher import ClaimedDelivery

        now = datetime.now(UTC)
        self._due = [
            ClaimedDelivery(
                id=f"d-{i}",
                message_id="m-1",
                crisis_id="c-1",
                audience="elus",
                channel="telegram_dm",
                recipient_kind=RecipientKind.TELEGRAM_CHAT,
                recipient=str(FIRST_CHAT + i),
                text="Banc d'essai : message de diffusion.",
                exercise=False,
                allowed_in_exercise=False,
                attempts=0,
                queued_at=now,
            )
            for i in range(deliveries)
        ]
        self.recorded = 0

    def claim(self, *, limit: int, **_: Any) -> list[Any]:
        batch, self._due = self._due[:limit], self._due[limit:]
        return batch

    def record(self, results: Sequence[Any]) -> None:
        self.recorded += len(results)

    def release(self, *, worker: str) -> int:
        return 0


def _memory_run(
    base_url: str, *, deliveries: int, concurrency: int, batch_size: int
) -> tuple[float, float]:
    """The real dispatcher loop and Telegram channel, the outbox in memory; (seconds, CPU s)."""
    from pydantic import SecretStr

    from channels.config import TelegramConfig
    from channels.dispatcher import Dispatcher, DispatcherConfig
    from channels.telegram import telegram_dm
    from crisis.clock import SystemClock

    async def run() -> tuple[float, float]:
        clock = SystemClock()
        config = TelegramConfig(
            token=SecretStr(TELEGRAM_TOKEN),
            base_url=base_url,
            connection_pool_size=concurrency,
            rate_per_second=1_000_000.0,
        )
        channel = telegram_dm(config, clock=clock)
        outbox = _MemoryOutbox(deliveries)
        dispatcher = Dispatcher(
            outbox=outbox,
            production_channels={channel.name: channel},
            exercise_channels={},
            clock=clock,
            config=DispatcherConfig(batch_size=batch_size, concurrency=concurrency),
        )
        cpu, started = time.process_time(), time.perf_counter()
        running = asyncio.create_task(dispatcher.run())
        try:
            while outbox.recorded < deliveries:
                await asyncio.sleep(0.01)
            return time.perf_counter() - started, time.process_time() - cpu
        finally:
            dispatcher.stop()
            await running
            await channel.aclose()

    return asyncio.run(run())


def _bare_run(
    base_url: str, *, deliveries: int, concurrency: int, transport: str
) -> tuple[float, float]:
    """N sendMessage calls with python-telegram-bot alone; (seconds, CPU s)."""
    from telegram import Bot, LinkPreviewOptions
    from telegram.request import BaseRequest, HTTPXRequest

    from channels.telegram_request import AiohttpRequest

    async def run() -> tuple[float, float]:
        request: BaseRequest
        if transport == "aiohttp":
            request = AiohttpRequest(connection_pool_size=concurrency, timeout_seconds=10)
        else:
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
        for transport in TRANSPORTS:  # warm-up
            _bare_run(fake.base_url, deliveries=200, concurrency=concurrency, transport=transport)
        bare_runs: dict[str, list[tuple[float, float]]] = {t: [] for t in TRANSPORTS}
        memory_runs: list[tuple[float, float]] = []
        outbox_runs: list[tuple[float, float, dict[str, float]]] = []
        for _ in range(args.repeat):
            for transport in TRANSPORTS:
                bare_runs[transport].append(
                    _bare_run(
                        fake.base_url, deliveries=n, concurrency=concurrency, transport=transport
                    )
                )
            memory_runs.append(
                _memory_run(
                    fake.base_url,
                    deliveries=n,
                    concurrency=concurrency,
                    batch_size=args.batch_size,
                )
            )
            outbox_runs.append(
                _outbox_run(
                    fake.base_url,
                    deliveries=n,
                    concurrency=concurrency,
                    batch_size=args.batch_size,
                    database=args.database,
                )
            )
    outbox_seconds, outbox_cpu, steps = min(outbox_runs, key=lambda run: run[0])
    outbox_rate = n / outbox_seconds
    memory_seconds, memory_cpu = min(memory_runs)
    ratios: dict[str, tuple[float, float]] = {}
    for transport in TRANSPORTS:
        seconds, cpu = min(bare_runs[transport])
        ratios[transport] = (outbox_rate / (n / seconds), outbox_cpu / cpu)
        print(
            f"bare python-telegram-bot ({TRANSPORTS[transport]}): {n} messages in {seconds:.2f} s"
            f" = {n / seconds:.0f}/s, {cpu / n * 1e6:.0f} µs CPU per message, "
            f"{cpu / seconds:.2f} cores busy (runs: "
            + ", ".join(f"{n / s:.0f}/s" for s, _ in bare_runs[transport])
            + ")"
        )
    print(
        f"dispatcher loop without a database (outbox in memory): {n / memory_seconds:.0f}/s, "
        f"{memory_cpu / n * 1e6:.0f} µs CPU per delivery (runs: "
        + ", ".join(f"{n / s:.0f}/s" for s, _ in memory_runs)
        + ")"
    )
    print(
        f"outbox ({args.database}, dispatcher loop, batch {args.batch_size}, aiohttp transport): "
        f"{n} deliveries in {outbox_seconds:.2f} s = {outbox_rate:.0f}/s, "
        f"{outbox_cpu / n * 1e6:.0f} µs CPU per delivery, {outbox_cpu / outbox_seconds:.2f} cores "
        "busy (runs: " + ", ".join(f"{n / s:.0f}/s" for s, _, _ in outbox_runs) + ")"
    )
    print(
        f"  of which, per delivery: claims {steps['claim'] / n * 1e6:.0f} µs and recording "
        f"{steps['record'] / n * 1e6:.0f} µs (their threads' CPU), the rest "
        f"{(outbox_cpu - sum(steps.values())) / n * 1e6:.0f} µs (the send loop, thread "
        "hand-offs)"
    )
    print(
        "  (under one core busy in all: the claims, the recording and the send loop take turns "
        "on the GIL, so only less CPU per delivery raises the rate)"
        if outbox_cpu / outbox_seconds < 1.0
        else "  (more than one core busy: the database's C code runs beside the send loop)"
    )
    for transport, (rate_ratio, cpu_ratio) in ratios.items():
        print(
            f"against the bare loop on {TRANSPORTS[transport]}: rate ratio {rate_ratio:.3f} "
            f"(goal ≥ 0.95), CPU per delivery ratio {cpu_ratio:.3f} (goal ≤ 1.05)"
        )
    print(f"load average after: {load_average()}")
    # The like-for-like figure: the outbox against the same client on the same transport.
    print(f"fanout_ratio={ratios['aiohttp'][0]:.3f}")


if __name__ == "__main__":
    main()
