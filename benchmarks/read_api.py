"""Read benchmark: the whole cell reading an event and its clocks at once.

    PYTHONPATH=. .venv/bin/python benchmarks/read_api.py [--database sqlite|postgresql|both]
        [--clients 100] [--seconds 20] [--interval 1.0] [--workers N]

The real service (`crisis serve`, in a subprocess, on an ephemeral loopback port) holds one
event with its COD activated. Each of `--clients` clients, on its own keep-alive connection,
reads `GET /api/v1/crises/{id}` then `GET /api/v1/crises/{id}/clocks` every `--interval`
seconds (a live dashboard), starting at a random phase. After a warm-up of 3 s, every request
of `--seconds` seconds is timed. The load generator runs on the same machine.

Prints p50, p90, p99 and the maximum latency, the requests per second and the errors (any
answer other than 200, or no answer within 10 s), per database. With no argument it runs on
SQLite in well under two minutes. The last line is `read_p99_ms=<p99 in milliseconds>` (the
worst of the databases measured).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support import (
    ServiceProcess,
    load_average,
    percentile,
    scratch_database,
    tree_cpu_seconds,
)

WARM_UP_SECONDS = 3.0


def prepare(url: str, folder: Path) -> tuple[str, str]:
    """Schema, one reader's token and one activated event; return (token, crisis id)."""
    from crisis.bootstrap import bootstrap
    from crisis.delivery.config import DeliveryConfig
    from crisis.domain.commands import AddUser, CodDecision, OpenCrisis
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
    try:
        added = service.bus.handle(AddUser(name="cellule", role="comm_cell"), actor=SYSTEM_ACTOR)
        crisis_id: str = service.bus.handle(
            OpenCrisis(
                title="Crue de la Seine",
                kind=CrisisKind.INONDATION,
                exercise=False,
                communes=("Corbeil-Essonnes", "Évry-Courcouronnes"),
                activation=CodDecision(decided_by="préfet", synergi_ref="SYN-BENCH"),
            ),
            actor=Actor(name="cadre", role="duty_officer"),
        )
        return str(added["token"]), crisis_id
    finally:
        service.close()


class KeepAliveClient:
    """One HTTP/1.1 keep-alive connection, written by hand: a load generator must cost far
    less than the server it measures (httpx spends about a millisecond of CPU per request
    here, as much as the read itself), or the figures describe the client."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self._host, self._port = host, port
        self._head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        """The answer's status (its body read and dropped); 0 when the connection failed."""
        try:
            if self._reader is None or self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
            self._writer.write(f"GET {path} HTTP/1.1\r\n".encode() + self._head)
            head = await self._reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await self._reader.readexactly(length)
            return status
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await self.close()
            return 0

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def load(
    base_url: str, token: str, crisis_id: str, *, clients: int, seconds: float, interval: float
) -> tuple[list[float], int, int, int]:
    """Run the clients; return the measured latencies (s), the errors, the measured requests
    and every request sent (warm-up included)."""
    latencies: list[float] = []
    errors = 0
    requests = 0
    sent_in_all = 0
    started = time.perf_counter()
    measure_from = started + WARM_UP_SECONDS
    stop_at = measure_from + seconds
    paths = [f"/api/v1/crises/{crisis_id}", f"/api/v1/crises/{crisis_id}/clocks"]
    address = httpx.URL(base_url)
    host, port = address.host, address.port or 80

    async def client(rng: random.Random) -> None:
        nonlocal errors, requests, sent_in_all
        http = KeepAliveClient(host, port, token)
        tick = started + rng.uniform(0, interval)
        try:
            while True:
                await asyncio.sleep(max(0.0, tick - time.perf_counter()))
                if time.perf_counter() >= stop_at:
                    return
                for path in paths:
                    sent = time.perf_counter()
                    try:
                        status = await asyncio.wait_for(http.get(path), timeout=10)
                    except TimeoutError:
                        await http.close()
                        status = 0
                    done = time.perf_counter()
                    sent_in_all += 1
                    if sent >= measure_from and done <= stop_at:
                        requests += 1
                        latencies.append(done - sent)
                        errors += status != 200
                tick += interval
        finally:
            await http.close()

    await asyncio.gather(*(client(random.Random(i)) for i in range(clients)))
    return latencies, errors, requests, sent_in_all


def run(kind: str, args: argparse.Namespace) -> float:
    workers = args.workers or (2 if kind == "postgresql" else 1)
    with scratch_database(kind) as (url, folder):
        token, crisis_id = prepare(url, folder)
        env = {"CRISIS_DATABASE_URL": url, "CRISIS_DATA_DIR": str(folder)}
        with ServiceProcess(env, workers=workers) as service:
            server_cpu = tree_cpu_seconds(service.pid)
            client_cpu = time.process_time()
            latencies, errors, requests, sent_in_all = asyncio.run(
                load(
                    service.url,
                    token,
                    crisis_id,
                    clients=args.clients,
                    seconds=args.seconds,
                    interval=args.interval,
                )
            )
            client_cpu = time.process_time() - client_cpu
            server_cpu = tree_cpu_seconds(service.pid) - server_cpu
    p50, p90, p99 = (percentile(latencies, s) * 1000 for s in (0.5, 0.9, 0.99))
    print(
        f"{kind} ({workers} API process{'es' if workers > 1 else ''}): {args.clients} clients, "
        f"{requests} requests in {args.seconds:g} s = {requests / args.seconds:.0f}/s; "
        f"p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms; {errors} errors; CPU per request: "
        f"service {server_cpu / sent_in_all * 1000:.2f} ms, "
        f"load generator {client_cpu / sent_in_all * 1000:.2f} ms"
    )
    return p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument(
        "--workers", type=int, default=0, help="API processes (default: 1 SQLite, 2 PostgreSQL)"
    )
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    worst = max(run(kind, args) for kind in kinds)
    print(f"load average after: {load_average()}")
    print(f"read_p99_ms={worst:.1f}")


if __name__ == "__main__":
    main()
