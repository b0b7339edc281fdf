"""Console benchmark: the whole cell watching the dashboard, alone and during a fan-out.

    PYTHONPATH=. .venv/bin/python benchmarks/console_poll.py [--database sqlite|postgresql|both]
        [--sessions 30] [--seconds 60] [--deliveries 5000] [--rounds 3]

The real service (`crisis serve` in a subprocess, its Telegram channel on the fast provider
fake: nginx when installed) holds one activated event and `--deliveries` élus with a Telegram
chat. `--sessions` people sign in through the sign-in form (one session each) and each polls
the dashboard's fragment (`GET /tableau/evenements`) once a second, on its own keep-alive
connection and at a random phase, as the page's htmx does: with `HX-Request` and the tag of
the last answer in `If-None-Match`. Three phases, each measured on its own:

1. the polls alone for `--seconds`: latency p50 and p99, and the service's CPU time over the
   phase as a share of one core (goal ≤ 5 % for 30 pollers while nothing changes);
2. a fan-out alone (after one unmeasured, to warm the service up): one message to every élu
   through the API, timed from the send to the last delivery accepted (read on the delivery
   board twice a second);
3. the same fan-out with the polls running: the polls' latency during it (goal: p99 ≤ 50 ms)
   and the fan-out's rate as a share of its rate alone (goal ≥ 0.95). Phases 2 and 3
   alternate `--rounds` times (3): a fan-out lasts seconds, and the machine's pace drifts
   from one to the next; the ratio is that of the summed times, the latencies those of all
   the rounds.

Prints each figure per database; the last line is `console_poll_p99_ms=<the worst p99 during a
fan-out>`. `--against PATH` runs the same phases on another checkout of the service (for
instance the main branch's worktree) right after, for a before/after under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from benchmarks.support import (
    REPO_ROOT,
    NginxTelegramFake,
    ServiceProcess,
    TelegramFakeProcess,
    contacts_csv,
    fast_telegram_env,
    load_average,
    percentile,
    scratch_database,
    tree_cpu_seconds,
)

PASSWORD = "banc-d-essai-du-tableau-de-bord"  # noqa: S105 - a throw-away database's user
FRAGMENT = "/tableau/evenements"


def prepare(url: str, folder: Path, size: int) -> tuple[str, str, str]:
    """Élus, a console user, an API user and an activated event: (console user, API token,
    crisis id)."""
    from crisis.bootstrap import bootstrap
    from crisis.delivery.config import DeliveryConfig
    from crisis.domain.commands import AddUser, CodDecision, OpenCrisis
    from crisis.domain.contact_commands import ImportContacts
    from crisis.domain.vocabulary import CrisisKind
    from crisis.services.context import SYSTEM_ACTOR, Actor
    from crisis.settings import Settings
    from crisis.store.engine import make_engine
    from crisis.store.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    service = bootstrap(
        settings=Settings(data_dir=folder, database_url=url),
        engine=engine,
        delivery=DeliveryConfig(),
    )
    officer = Actor(name="cadre", role="duty_officer", user_id="u-bench")
    try:
        service.bus.handle(
            ImportContacts(file_name="elus.csv", content=contacts_csv(size)), actor=officer
        )
        service.bus.handle(
            AddUser(name="veille", role="comm_cell", password=PASSWORD), actor=SYSTEM_ACTOR
        )
        added = service.bus.handle(AddUser(name="api", role="comm_cell"), actor=SYSTEM_ACTOR)
        crisis_id: str = service.bus.handle(
            OpenCrisis(
                title="Crue de la Seine",
                kind=CrisisKind.INONDATION,
                exercise=False,
                activation=CodDecision(decided_by="préfet", synergi_ref="SYN-POLL"),
            ),
            actor=officer,
        )
        return "veille", str(added["token"]), crisis_id
    finally:
        service.close()


def sign_in(base_url: str, name: str) -> str:
    """A new session through the sign-in form; its cookie's value."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        form = http.get("/connexion")
        token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
        assert token is not None, form.text[:500]
        answer = http.post(
            "/connexion",
            data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert answer.status_code == 303, answer.text[:500]
        return str(http.cookies["crisis_session"])


class Poller:
    """One open dashboard: a keep-alive connection asking the fragment as htmx does."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self._host, self._port = host, port
        self._cookie = cookie
        self._tag = ""
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def poll(self) -> int:
        try:
            if self._reader is None or self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
            tag = f"If-None-Match: {self._tag}\r\n" if self._tag else ""
            self._writer.write(
                f"GET {FRAGMENT} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
                f"Cookie: crisis_session={self._cookie}\r\nHX-Request: true\r\n{tag}\r\n".encode()
            )
            head = await self._reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                lowered = line.lower()
                if lowered.startswith(b"content-length:"):
                    length = int(line[15:])
                elif lowered.startswith(b"etag:"):
                    self._tag = line[5:].strip().decode()
            await self._reader.readexactly(length)
            return status
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await self.close()
            return 0

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class Polls:
    """The pollers in a thread of their own, started and stopped around a phase."""

    def __init__(self, base_url: str, cookies: list[str]) -> None:
        address = httpx.URL(base_url)
        self._host, self._port = address.host, address.port or 80
        self._cookies = cookies
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self._stop = threading.Event()
        self._counting = True
        self._running = threading.Event()
        self._running.set()
        self._thread: threading.Thread | None = None

    def pause(self) -> None:
        """No polls (the sessions stay open, the screens closed), nothing counted."""
        self._running.clear()
        self._counting = False

    def resume(self) -> None:
        self._running.set()

    def count_from_now(self) -> None:
        """Count the polls from now on, adding to those counted before the last pause."""
        self._counting = True

    def __enter__(self) -> Polls:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._running.set()
        assert self._thread is not None
        self._thread.join()

    async def _run(self) -> None:
        async def one(cookie: str, rng: random.Random) -> None:
            poller = Poller(self._host, self._port, cookie)
            tick = time.perf_counter() + rng.uniform(0, 1.0)
            try:
                while not self._stop.is_set():
                    await asyncio.sleep(max(0.0, tick - time.perf_counter()))
                    tick += 1.0
                    if not self._running.is_set():
                        tick = time.perf_counter() + rng.uniform(0, 1.0)
                        continue
                    sent = time.perf_counter()
                    try:
                        status = await asyncio.wait_for(poller.poll(), timeout=10)
                    except TimeoutError:
                        await poller.close()
                        status = 0
                    if self._counting:
                        self.latencies.append(time.perf_counter() - sent)
                        self.statuses[status] = self.statuses.get(status, 0) + 1
            finally:
                await poller.close()

        await asyncio.gather(*(one(c, random.Random(i)) for i, c in enumerate(self._cookies)))

    def summary(self) -> str:
        p50, p99 = (percentile(self.latencies, s) * 1000 for s in (0.5, 0.99))
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return f"{len(self.latencies)} polls, p50 {p50:.1f} ms, p99 {p99:.1f} ms ({statuses})"

    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000


def fan_out(http: httpx.Client, crisis_id: str, size: int) -> float:
    """One message to every élu on Telegram; seconds from the send to the last acceptance."""
    sent_at = time.perf_counter()
    answer = http.post(
        f"/api/v1/crises/{crisis_id}/messages",
        json={
            "texts": {"default": "Crue de la Seine : évitez les berges."},
            "audiences": ["elus"],
            "channels": ["telegram_dm"],
        },
    )
    assert answer.status_code == 201, answer.text
    board = answer.json()["board"]
    while http.get(board, params={"limit": 1}).json()["totals"].get("accepted", 0) < size:
        time.sleep(0.5)
    return time.perf_counter() - sent_at


@contextlib.contextmanager
def cpu_share(pid: int) -> Iterator[dict[str, float]]:
    """The CPU time of the service (every process) over the block, as a share of one core."""
    found: dict[str, float] = {}
    cpu, started = tree_cpu_seconds(pid), time.perf_counter()
    yield found
    found["share"] = (tree_cpu_seconds(pid) - cpu) / (time.perf_counter() - started)


def run(kind: str, args: argparse.Namespace, base_url: str, repo: Path | None = None) -> float:
    with scratch_database(kind) as (url, folder):
        user, token, crisis_id = prepare(url, folder, args.deliveries)
        env = fast_telegram_env(url, folder, base_url) | {
            "CRISIS_LOG_LEVEL": "WARNING",
        }
        with ServiceProcess(env, repo=repo or REPO_ROOT) as service:
            cookies = [sign_in(service.url, user) for _ in range(args.sessions)]
            http = httpx.Client(
                base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=600
            )
            fan_out(http, crisis_id, args.deliveries)  # warm-up: connections, first claims
            with Polls(service.url, cookies) as alone:
                time.sleep(2)  # the first answers (200, then 304s)
                alone.latencies.clear()
                alone.statuses.clear()
                with cpu_share(service.pid) as idle:
                    time.sleep(args.seconds)
            kind = f"{kind}{f' ({repo})' if repo else ''}"
            print(
                f"{kind}: {args.sessions} sessions polling each second for {args.seconds:g} s, "
                f"nothing changing: {alone.summary()}; service CPU {idle['share'] * 100:.1f} % "
                "of a core (goal ≤ 5 %)",
                flush=True,
            )
            # Alone, then with the polls, `--rounds` times: a fan-out lasts a few seconds, and
            # the machine's pace drifts from one to the next; the ratio is of the sums.
            alone_seconds = during_seconds = busy_cpu = 0.0
            with Polls(service.url, cookies) as during:
                during.pause()
                for _ in range(args.rounds):
                    alone_seconds += fan_out(http, crisis_id, args.deliveries)
                    during.resume()
                    time.sleep(2)
                    during.count_from_now()
                    with cpu_share(service.pid) as busy:
                        during_seconds += fan_out(http, crisis_id, args.deliveries)
                    during.pause()
                    busy_cpu += busy["share"] / args.rounds
            http.close()
    ratio = alone_seconds / during_seconds
    n = args.deliveries * args.rounds
    print(
        f"{kind}: {args.rounds} fan-outs of {args.deliveries} alone {n / alone_seconds:.0f}/s, "
        f"with the polls {n / during_seconds:.0f}/s: ratio {ratio:.2f} (goal ≥ 0.95); polls "
        f"during them: {during.summary()} (goal: p99 ≤ 50 ms); service CPU "
        f"{busy_cpu * 100:.0f} % of a core",
        flush=True,
    )
    return during.p99_ms()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3, help="fan-outs alone and with polls")
    parser.add_argument("--fake", choices=["nginx", "python"], default=None)
    parser.add_argument("--against", default=None, help="another checkout, measured after")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    use_nginx = args.fake == "nginx" or (args.fake is None and NginxTelegramFake.available())
    fake: Any = NginxTelegramFake() if use_nginx else TelegramFakeProcess()
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    print(f"provider fake: {'nginx (static answer)' if use_nginx else 'Python, own process'}")
    with fake:
        worst = 0.0
        for kind in kinds:
            worst = max(worst, run(kind, args, fake.base_url))
            if args.against:
                run(kind, args, fake.base_url, Path(args.against))
    print(f"load average after: {load_average()}")
    print(f"console_poll_p99_ms={worst:.1f}")


if __name__ == "__main__":
    main()
