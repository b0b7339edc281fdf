"""What the benchmarks share: a throw-away database, the real service in a subprocess, figures.

- `scratch_database("sqlite" | "postgresql")`: a SQLite file in a temporary folder, or a
  PostgreSQL schema of its own (dropped at the end) on `CRISIS_BENCH_POSTGRES_URL`, by default
  the test server `postgresql://postgres@127.0.0.1:5432/test`.
- `ServiceProcess`: `python -m crisis serve` on an ephemeral loopback port, with its own
  environment; its peak RSS is read from /proc while it runs.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
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

    def __init__(self, env: dict[str, str], *, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
        self._workers = workers
        self._process: subprocess.Popen[bytes] | None = None
        self.peak_rss_kib = 0

    def __enter__(self) -> ServiceProcess:
        command = [sys.executable, "-m", "crisis", "serve", "--port", str(self.port)]
        if self._workers > 1:
            command += ["--workers", str(self._workers)]
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            env=self._env,
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
