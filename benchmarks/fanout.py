"""Fan-out benchmark: the durable outbox against a bare python-telegram-bot loop.

    PYTHONPATH=. .venv/bin/python benchmarks/fanout.py [--deliveries 5000] [--concurrency 50]

1. `outbox`: N deliveries written by SendMessage into the outbox (SQLite in a temporary
   folder), then sent by the real dispatcher (claims, python-telegram-bot, outcomes recorded
   through the bus and the hash-chained journal) to the fake Telegram Bot API server.
2. `bare`: the same N sendMessage calls with python-telegram-bot alone, at the same
   concurrency, to the same fake.
3. `paced`: the outbox again, with the channel limited to `--paced-rate` messages per second;
   the achieved rate must stay under the limit and within 5 % of it.

The fake server runs in a process of its own, so that it does not share the GIL with the
client being measured. The last line is `fanout_ratio=<outbox rate / bare rate>`.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
# python-telegram-bot 22 warns when it builds a RetryAfter unless this behaviour is chosen.
os.environ.setdefault("PTB_TIMEDELTA", "true")

TOKEN = "777000:BENCH-token"  # the fake's own token  # noqa: S105
FIRST_CHAT = 10_000_000


# -- the fake Telegram server, in its own process ---------------------------------------------


def _serve_fake(conn: Connection) -> None:
    from tests.fakes._http import Response
    from tests.fakes.telegram import FakeTelegramServer

    arrivals: list[float] = []

    class TimedFake(FakeTelegramServer):
        def _api_sendMessage(self, params: dict[str, str]) -> Response:  # noqa: N802
            arrivals.append(time.perf_counter())
            return super()._api_sendMessage(params)

    with TimedFake(token=TOKEN) as fake:
        conn.send(fake.base_url)
        while True:
            command = conn.recv()
            if command == "stop":
                return
            if command == "reset":
                arrivals.clear()
                fake.sent.clear()
                fake.messages.clear()
                conn.send(True)
            elif command == "stats":
                conn.send((len(fake.sent), len(set(m.chat_id for m in fake.sent)), arrivals[:]))


class FakeProcess:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_fake, args=(child,), daemon=True)

    def __enter__(self) -> FakeProcess:
        self._process.start()
        self.base_url: str = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)

    def reset(self) -> None:
        self._conn.send("reset")
        self._conn.recv()

    def stats(self) -> tuple[int, int, list[float]]:
        self._conn.send("stats")
        sent, chats, arrivals = self._conn.recv()
        return int(sent), int(chats), list(arrivals)


class TimedOutbox:
    """The dispatcher's outbox, timing its claims and its recorded outcomes."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.claiming = 0.0
        self.recording = 0.0

    def claim(self, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._inner.claim(**kwargs)
        finally:
            self.claiming += time.perf_counter() - started

    def record(self, results: Any) -> None:
        started = time.perf_counter()
        try:
            self._inner.record(results)
        finally:
            self.recording += time.perf_counter() - started

    def release(self, *, worker: str) -> int:
        released: int = self._inner.release(worker=worker)
        return released


# -- the outbox run ---------------------------------------------------------------------------


def _outbox_run(
    base_url: str, *, deliveries: int, concurrency: int, batch_size: int, rate: float | None
) -> tuple[float, float, float]:
    """Write `deliveries` rows through SendMessage, dispatch them all; return the seconds spent
    dispatching (claims, sends and recorded outcomes), and of those, claiming and recording."""
    from pydantic import SecretStr

    from channels.dispatcher import Dispatcher
    from channels.registry import ChannelsConfig, close_channels
    from channels.telegram import TelegramConfig
    from crisis.bootstrap import SchedulerMode, bootstrap
    from crisis.delivery.config import DeliveryConfig, DispatcherSettings
    from crisis.dispatching import BusOutbox, make_dispatcher
    from crisis.domain.commands import CodDecision, OpenCrisis, SendMessage
    from crisis.domain.contact_commands import ImportContacts
    from crisis.domain.vocabulary import Audience, CrisisKind
    from crisis.services.context import Actor
    from crisis.settings import Settings
    from crisis.store.engine import make_engine
    from crisis.store.migrate import upgrade

    officer = Actor(name="banc", role="duty_officer", user_id="u-bench")
    with tempfile.TemporaryDirectory(prefix="fanout-") as folder:
        engine = make_engine(f"sqlite:///{folder}/crisis.sqlite3")
        upgrade(engine)
        config = DeliveryConfig(
            production=ChannelsConfig(
                telegram=TelegramConfig(
                    token=SecretStr(TOKEN),
                    base_url=base_url,
                    connection_pool_size=concurrency,
                    # "Unlimited" for the throughput run: far above what loopback reaches.
                    rate_per_second=rate if rate is not None else 1_000_000.0,
                )
            ),
            dispatcher=DispatcherSettings(batch_size=batch_size, concurrency=concurrency),
        )
        service = bootstrap(
            settings=Settings(data_dir=Path(folder), approval_audiences=[]),
            engine=engine,
            delivery=config,
            scheduler_mode=SchedulerMode.NONE,
        )
        lines = ["nom;categorie;email;mobile;telegram;commune"]
        lines += [f"Élu {i};elu;;;{FIRST_CHAT + i};Commune {i}" for i in range(deliveries)]
        content = ("\r\n".join(lines) + "\r\n").encode("utf-8")
        service.bus.handle(ImportContacts(file_name="elus.csv", content=content), actor=officer)
        crisis_id = service.bus.handle(
            OpenCrisis(
                title="Banc de diffusion",
                kind=CrisisKind.AUTRE,
                exercise=False,
                activation=CodDecision(decided_by="préfet", synergi_ref="BENCH-1"),
            ),
            actor=officer,
        )
        sent = service.bus.handle(
            SendMessage(
                crisis_id=crisis_id,
                texts=(("default", "Banc d'essai : message de diffusion."),),
                audiences=(Audience.ELUS,),
                channels=("telegram_dm",),
            ),
            actor=officer,
        )
        assert sent.deliveries == deliveries
        configured = make_dispatcher(
            service.bus, service.catalog, clock=service.clock, worker="bench"
        )
        timed = TimedOutbox(BusOutbox(service.bus, worker="bench"))
        dispatcher = Dispatcher(
            outbox=timed,
            production_channels=service.catalog.production,
            exercise_channels=service.catalog.exercise,
            clock=service.clock,
            config=configured.config,
        )

        async def dispatch() -> tuple[int, float]:
            try:
                started = time.perf_counter()
                done = await dispatcher.run_until_idle()
                return done, time.perf_counter() - started
            finally:
                await close_channels(service.catalog.production)

        done, elapsed = asyncio.run(dispatch())
        assert done == deliveries, done
        with service.bus.unit_of_work() as uow:
            statuses = {d.status for d in uow.outbox.deliveries_of(crisis_id=crisis_id)}
            assert statuses == {"accepted"}, statuses
            assert uow.journal.verify(crisis_id).ok
        service.close()
        return elapsed, timed.claiming, timed.recording


# -- the bare python-telegram-bot loop ----------------------------------------------------------


def _bare_run(base_url: str, *, deliveries: int, concurrency: int) -> float:
    from telegram import Bot, LinkPreviewOptions
    from telegram.request import HTTPXRequest

    async def run() -> float:
        request = HTTPXRequest(
            connection_pool_size=concurrency,
            connect_timeout=10,
            read_timeout=10,
            write_timeout=10,
            pool_timeout=10,
        )
        bot = Bot(TOKEN, base_url=base_url, request=request)
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                await bot.send_message(
                    chat_id=str(FIRST_CHAT + i),
                    text="Banc d'essai : message de diffusion.",
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )

        try:
            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(deliveries)))
            return time.perf_counter() - started
        finally:
            await request.shutdown()

    return asyncio.run(run())


def _max_in_window(arrivals: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, instant in enumerate(arrivals):
        while instant - arrivals[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--paced-rate", type=float, default=50.0)
    parser.add_argument("--paced-deliveries", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    n, concurrency = args.deliveries, args.concurrency

    with FakeProcess() as fake:
        # Warm-up, not measured: imports, the first connections.
        _bare_run(fake.base_url, deliveries=200, concurrency=concurrency)
        fake.reset()

        # Interleaved and repeated: the machine's other load moves both figures; the best
        # run of each is compared.
        bare_runs: list[float] = []
        outbox_runs: list[tuple[float, float, float]] = []
        for _ in range(args.repeat):
            bare_runs.append(_bare_run(fake.base_url, deliveries=n, concurrency=concurrency))
            sent, chats, _ = fake.stats()
            assert sent == n and chats == n, (sent, chats)
            fake.reset()
            outbox_runs.append(
                _outbox_run(
                    fake.base_url,
                    deliveries=n,
                    concurrency=concurrency,
                    batch_size=args.batch_size,
                    rate=None,
                )
            )
            sent, chats, _ = fake.stats()
            assert sent == n and chats == n, (sent, chats)
            fake.reset()
        bare_seconds = min(bare_runs)
        bare_rate = n / bare_seconds
        print(
            f"bare python-telegram-bot : {n} messages in {bare_seconds:.2f} s = "
            f"{bare_rate:.0f}/s (concurrency {concurrency}; runs: "
            + ", ".join(f"{n / s:.0f}/s" for s in bare_runs)
            + ")"
        )
        outbox_seconds, claiming, recording = min(outbox_runs)
        outbox_rate = n / outbox_seconds
        print(
            f"outbox (SQLite, dispatcher) : {n} deliveries in {outbox_seconds:.2f} s = "
            f"{outbox_rate:.0f}/s (concurrency {concurrency}, batch {args.batch_size}; runs: "
            + ", ".join(f"{n / s:.0f}/s" for s, _, _ in outbox_runs)
            + f"); of which claiming {claiming:.2f} s, recording outcomes {recording:.2f} s"
        )

        limit, paced_n = args.paced_rate, args.paced_deliveries
        paced_seconds, _, _ = _outbox_run(
            fake.base_url,
            deliveries=paced_n,
            concurrency=concurrency,
            batch_size=args.batch_size,
            rate=limit,
        )
        sent, chats, arrivals = fake.stats()
        assert sent == paced_n and chats == paced_n, (sent, chats)
        arrivals.sort()
        achieved = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
        busiest = _max_in_window(arrivals)
        within = limit * 0.95 <= achieved <= limit
        print(
            f"paced outbox : {paced_n} deliveries at a limit of {limit:g}/s: "
            f"{achieved:.2f}/s at the provider (first to last arrival), "
            f"{paced_n / paced_seconds:.2f}/s end to end, at most {busiest} in any second "
            f"— {'within' if within else 'OUTSIDE'} [{limit * 0.95:g}, {limit:g}]"
        )

    print(f"fanout_ratio={outbox_rate / bare_rate:.3f}")


if __name__ == "__main__":
    main()
