"""Read benchmark: the whole cell reading an event and its clocks at once.

    PYTHONPATH=. .venv/bin/python benchmarks/read_api.py [--database sqlite|postgresql|both]
        [--clients 100] [--seconds 20] [--interval 1.0] [--workers N]
        [--closed-loop [--rounds 3] [--against PATH]]

The real service (`crisis serve`, in a subprocess, on an ephemeral loopback port) holds one
event with its COD activated. Each of `--clients` clients, on its own keep-alive connection,
reads `GET /api/v1/crises/{id}` then `GET /api/v1/crises/{id}/clocks` every `--interval`
seconds (a live dashboard), starting at a random phase. After a warm-up of 3 s, every request
of `--seconds` seconds is timed. The load generator runs on the same machine.

Prints p50, p90, p99 and the maximum latency, the requests per second and the errors (any
answer other than 200, or no answer within 10 s), per database. With no argument it runs on
SQLite in well under two minutes. The last line is `read_p99_ms=<p99 in milliseconds>` (the
worst of the databases measured).

`--closed-loop`: as wrk does, `--clients` connections (100 by default) each send
`GET /api/v1/crises/{id}` again as soon as the answer arrives, for `--seconds`; then the
same against a one-route FastAPI app (`benchmarks/bare_app.py`, same uvicorn, uvloop and
httptools) answering a constant JSON body. Rounds alternate the two (`--rounds`, 3 by
default). The load comes from wrk when installed (`apt-get install wrk`), else from the
Python client above. Prints each run's requests per second and the service's CPU time per
request (every process of the server, from /proc; measured once the server has settled
after its start and a one-second warm-up), and the ratio of the medians of CPU per
request (the service over the bare app; goal ≤ 3). `--against PATH` serves another checkout
of the service (for instance the main branch's worktree) in the same rounds: its ratio is
printed too, a before/after measured under the same load. The last line is
`read_cpu_ratio=<ratio>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support import (
    ServiceProcess,
    free_port,
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


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _wrk() -> str:
    found = shutil.which("wrk")
    assert found is not None
    return found


def closed_loop(url: str, token: str, *, connections: int, seconds: float) -> int:
    """`connections` connections asking `url` back to back for `seconds`; the requests
    answered (wrk when installed, else the Python client)."""
    if wrk_available():
        ran = subprocess.run(  # noqa: S603 - the system's wrk
            [
                _wrk(),
                "-t1",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "-H",
                f"Authorization: Bearer {token}",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        found = re.search(r"(\d+) requests in", ran.stdout)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", ran.stdout)
        if found is None or errors is not None:
            raise RuntimeError(f"wrk: {ran.stdout}")
        return int(found.group(1))
    address = httpx.URL(url)
    host, port = address.host, address.port or 80

    async def run() -> int:
        stop_at = time.perf_counter() + seconds
        answered = 0

        async def one() -> None:
            nonlocal answered
            http = KeepAliveClient(host, port, token)
            try:
                while time.perf_counter() < stop_at:
                    if await http.get(address.raw_path.decode()) != 200:
                        raise RuntimeError("closed loop: an answer other than 200")
                    answered += 1
            finally:
                await http.close()

        await asyncio.gather(*(one() for _ in range(connections)))
        return answered

    return asyncio.run(run())


class BareApp:
    """`benchmarks/bare_app.py` in a subprocess on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BareApp:
        script = Path(__file__).resolve().parent / "bare_app.py"
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(script), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.url}/api/v1/crises/c-1", timeout=1)
                return self
            time.sleep(0.2)
        raise RuntimeError("the bare app did not start")

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)


def settled(pid: int, *, share: float = 0.05, timeout: float = 60.0) -> None:
    """Wait until the server's processes use less than `share` of a core over half a second:
    its start-up work (the warm-up thread's imports, `crisis.ops.process.warm_up`) is over
    and is not counted as the requests' CPU."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cpu = tree_cpu_seconds(pid)
        time.sleep(0.5)
        if (tree_cpu_seconds(pid) - cpu) / 0.5 < share:
            return


def measured(server: Any, url: str, token: str, args: argparse.Namespace) -> tuple[float, float]:
    """(requests per second, server CPU ms per request) of one closed-loop run."""
    closed_loop(url, token, connections=args.clients, seconds=1.0)  # warm-up
    settled(server.pid)
    cpu = tree_cpu_seconds(server.pid)
    answered = closed_loop(url, token, connections=args.clients, seconds=args.seconds)
    cpu = tree_cpu_seconds(server.pid) - cpu
    return answered / args.seconds, cpu / answered * 1000


def run_closed_loop(kind: str, args: argparse.Namespace) -> float:
    workers = args.workers or 1
    runs: dict[str, list[tuple[float, float]]] = {"service": [], "bare": []}
    if args.against:
        runs["against"] = []
    with scratch_database(kind) as (url, folder):
        token, crisis_id = prepare(url, folder)
        env = {"CRISIS_DATABASE_URL": url, "CRISIS_DATA_DIR": str(folder)}
        path = f"/api/v1/crises/{crisis_id}"
        for _ in range(args.rounds):
            with ServiceProcess(env, workers=workers) as service:
                runs["service"].append(measured(service, service.url + path, token, args))
            if args.against:
                with ServiceProcess(env, workers=workers, repo=Path(args.against)) as other:
                    runs["against"].append(measured(other, other.url + path, token, args))
            with BareApp() as bare:
                runs["bare"].append(measured(bare, bare.url + path, token, args))
    names = {
        "service": f"service ({kind}, {workers} API process{'es' if workers > 1 else ''})",
        "against": f"service of {args.against}",
        "bare": "one-route FastAPI app",
    }
    cpu = {name: statistics.median(c for _, c in found) for name, found in runs.items()}
    for name, found in runs.items():
        print(
            f"{names[name]}: "
            + ", ".join(f"{rate:.0f}/s at {ms:.3f} ms CPU" for rate, ms in found)
            + f"; median CPU per request {cpu[name]:.3f} ms"
        )
    if args.against:
        print(
            f"CPU per request, this checkout / {args.against}: "
            f"{cpu['service'] / cpu['against']:.2f}; {args.against} / bare app: "
            f"{cpu['against'] / cpu['bare']:.2f}"
        )
    ratio = cpu["service"] / cpu["bare"]
    print(f"CPU per request, service / bare app ({kind}): {ratio:.2f} (goal ≤ 3)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument(
        "--workers", type=int, default=0, help="API processes (default: 1 SQLite, 2 PostgreSQL)"
    )
    parser.add_argument("--closed-loop", action="store_true", help="against a bare FastAPI app")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", default=None, help="another checkout, in the same rounds")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    if args.closed_loop:
        if args.seconds == 20.0:
            args.seconds = 10.0
        print(f"load generator: {'wrk' if wrk_available() else 'Python client'}")
        worst = max(run_closed_loop(kind, args) for kind in kinds)
        print(f"load average after: {load_average()}")
        print(f"read_cpu_ratio={worst:.2f}")
        return
    worst = max(run(kind, args) for kind in kinds)
    print(f"load average after: {load_average()}")
    print(f"read_p99_ms={worst:.1f}")


if __name__ == "__main__":
    main()
