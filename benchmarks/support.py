"""What the benchmarks share: a throw-away database, the real service in a subprocess, figures.

- `scratch_database("sqlite" | "postgresql")`: a SQLite file in a temporary folder, or a
  PostgreSQL schema of its own (dropped at the end) on `CRISIS_BENCH_POSTGRES_URL`, by default
  the test server `postgresql://postgres@127.0.0.1:5432/test`.
- `ServiceProcess`: `python -m crisis serve` on an ephemeral loopback port, with its own
  environment; its peak RSS is read from /proc while it runs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "CRISIS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@contextlib.contextmanager
def scratch_database(kind: str) -> Iterator[tuple[str, Path]]:
    """(database URL, temporary folder) for one run; everything is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as folder:
        if kind == "sqlite":
            yield f"sqlite:///{folder}/crisis.sqlite3", Path(folder)
            return
        import psycopg

        schema = f"bench_{secrets.token_hex(4)}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            separator = "&" if "?" in POSTGRES_URL else "?"
            options = quote(f"-csearch_path={schema}")
            yield f"{POSTGRES_URL}{separator}options={options}", Path(folder)
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    """Resident memory of one process and its children, in KiB (Linux /proc)."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for one in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


class ServiceProcess:
    """`crisis serve` in a subprocess on a free port; `peak_rss_kib` sampled by `sample()`."""

    def __init__(self, env: dict[str, str], *, workers: int = 1, repo: Path = REPO_ROOT) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # `repo`: the checkout served (another one to compare versions under the same load).
        self._env = {
            # `crisis serve` refuses to start with /metrics open to all.
            "CRISIS_METRICS_TOKEN": secrets.token_urlsafe(32),
            **os.environ,
            **env,
            "PYTHONPATH": str(repo),
        }
        self._workers = workers
        self._repo = repo
        self._process: subprocess.Popen[bytes] | None = None
        self.peak_rss_kib = 0

    def __enter__(self) -> ServiceProcess:
        command = [sys.executable, "-m", "crisis", "serve", "--port", str(self.port)]
        if self._workers > 1:
            command += ["--workers", str(self._workers)]
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            env=self._env,
            cwd=self._repo,  # `-m` looks in the working folder first, before PYTHONPATH
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"crisis serve stopped (code {self._process.returncode})")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError("crisis serve did not answer /healthz within 60 s")

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def sample(self) -> int:
        rss = rss_kib(self.pid)
        self.peak_rss_kib = max(self.peak_rss_kib, rss)
        return rss

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and all its descendants, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                with contextlib.suppress(OSError):
                    pending += [int(c) for c in (task / "children").read_text().split()]
    return total


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (a value actually observed)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, int(-(-share * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def max_in_window(instants: Sequence[float], window: float = 1.0) -> int:
    """The most instants found in any half-open window of `window` seconds."""
    ordered = sorted(instants)
    best, start = 0, 0
    for end, instant in enumerate(ordered):
        while instant - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- provider fakes ---------------------------------------------------------------------------

TELEGRAM_TOKEN = "777000:BENCH-token"  # the fakes' own token  # noqa: S105
FIRST_CHAT = 10_000_000


def _serve_telegram_fake(conn: Connection) -> None:
    from tests.fakes._http import Response
    from tests.fakes.telegram import FakeTelegramServer

    arrivals: list[float] = []

    class TimedFake(FakeTelegramServer):
        def _api_sendMessage(self, params: dict[str, str]) -> Response:  # noqa: N802
            arrivals.append(time.perf_counter())
            return super()._api_sendMessage(params)

    with TimedFake(token=TELEGRAM_TOKEN) as fake:
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
            elif command == "count":
                conn.send(len(fake.sent))
            elif command == "stats":
                conn.send((len(fake.sent), len({m.chat_id for m in fake.sent}), arrivals[:]))


class TelegramFakeProcess:
    """The Python fake Telegram Bot API in a process of its own (no shared GIL); it notes the
    arrival instant of each sendMessage (time.perf_counter, the same clock on the machine)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_telegram_fake, args=(child,), daemon=True)

    def __enter__(self) -> TelegramFakeProcess:
        self._process.start()
        self.base_url: str = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)

    def reset(self) -> None:
        self._conn.send("reset")
        self._conn.recv()

    def count(self) -> int:
        self._conn.send("count")
        return int(self._conn.recv())

    def stats(self) -> tuple[int, int, list[float]]:
        self._conn.send("stats")
        sent, chats, arrivals = self._conn.recv()
        return int(sent), int(chats), list(arrivals)


NGINX_TELEGRAM_ANSWER = (
    '{"ok":true,"result":{"message_id":1,"date":1767225600,'
    '"chat":{"id":1,"type":"private","first_name":"Élu"},"text":"ok"}}'
)


class NginxTelegramFake:
    """nginx answering every Bot API call with one static sendMessage result: a provider that
    is never the bottleneck. Started on a free loopback port with its own configuration in a
    temporary folder; `available()` says whether nginx is installed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self._folder = tempfile.TemporaryDirectory(prefix="bench-nginx-")
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()

    def __enter__(self) -> NginxTelegramFake:
        folder = Path(self._folder.name)
        answer = NGINX_TELEGRAM_ANSWER.replace("'", "\\'")
        temp = "\n".join(
            f"    {kind}_temp_path {folder}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"""worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp}
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            default_type application/json;
            return 200 '{answer}';
        }}
    }}
}}
""",
            encoding="utf-8",
        )
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self._process = subprocess.Popen(  # noqa: S603 - the system's nginx, our own config
            [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(f"{self.base_url}{TELEGRAM_TOKEN}/getMe", timeout=1)
                return self
            time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._folder.cleanup()


# -- a service with one Telegram fan-out waiting in its outbox ---------------------------------


def contacts_csv(count: int) -> bytes:
    """`count` élus, each with a Telegram chat of their own."""
    lines = ["nom;categorie;email;mobile;telegram;commune"]
    lines += [f"Élu {i};elu;;;{FIRST_CHAT + i};Commune {i}" for i in range(count)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@contextlib.contextmanager
def telegram_fanout(
    url: str,
    folder: Path,
    base_url: str,
    *,
    deliveries: int,
    concurrency: int,
    batch_size: int,
    rate: float | None,
) -> Iterator[tuple[Any, str]]:
    """(service, crisis id): `deliveries` Telegram messages written by SendMessage into the
    outbox of a migrated store, ready for a dispatcher."""
    from pydantic import SecretStr

    from channels.config import ChannelsConfig, TelegramConfig
    from crisis.bootstrap import bootstrap
    from crisis.delivery.config import DeliveryConfig, DispatcherSettings
    from crisis.domain.commands import CodDecision, OpenCrisis, SendMessage
    from crisis.domain.contact_commands import ImportContacts
    from crisis.domain.vocabulary import Audience, CrisisKind
    from crisis.services.context import Actor
    from crisis.settings import Settings
    from crisis.store.engine import make_engine
    from crisis.store.migrate import upgrade

    officer = Actor(name="banc", role="duty_officer", user_id="u-bench")
    engine = make_engine(url)
    upgrade(engine)
    config = DeliveryConfig(
        production=ChannelsConfig(
            telegram=TelegramConfig(
                token=SecretStr(TELEGRAM_TOKEN),
                base_url=base_url,
                connection_pool_size=concurrency,
                # "Unlimited" for the throughput runs: far above what loopback reaches.
                rate_per_second=rate if rate is not None else 1_000_000.0,
            )
        ),
        dispatcher=DispatcherSettings(batch_size=batch_size, concurrency=concurrency),
    )
    service = bootstrap(
        settings=Settings(data_dir=folder, approval_audiences=[]),
        engine=engine,
        delivery=config,
    )
    try:
        service.bus.handle(
            ImportContacts(file_name="elus.csv", content=contacts_csv(deliveries)), actor=officer
        )
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
        assert sent.deliveries == deliveries, (sent.deliveries, deliveries)
        yield service, crisis_id
    finally:
        service.close()


def fast_telegram_env(url: str, folder: Path, base_url: str) -> dict[str, str]:
    """A service's environment sending to a Telegram fake as fast as it can (no pacing, 50
    requests at once): the channels file written in `folder`, no approval, no call-out."""
    channels = folder / "canaux.yaml"
    channels.write_text(
        f"""production:
  telegram:
    token: "{TELEGRAM_TOKEN}"
    base_url: "{base_url}"
    connection_pool_size: 50
    rate_per_second: 1000000
dispatcher:
  batch_size: 100
  concurrency: 50
""",
        encoding="utf-8",
    )
    return {
        "CRISIS_DATABASE_URL": url,
        "CRISIS_DATA_DIR": str(folder),
        "CRISIS_CHANNELS_FILE": str(channels),
        "CRISIS_APPROVAL_AUDIENCES": "[]",
        "CRISIS_CALLOUT_ON_ACTIVATION": "false",
    }
