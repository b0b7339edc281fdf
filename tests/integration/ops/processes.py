"""Real `crisis` processes for the operations tests: the service on an ephemeral port, the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# `crisis serve` refuses to start without a strong metrics token.
METRICS_TOKEN = "jeton-des-metriques-de-test-0123456789-ABCDEFGHIJ"


def crisis_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")}
    env |= {
        "CRISIS_DATABASE_URL": url,
        "CRISIS_DATA_DIR": str(data_dir),
        "CRISIS_METRICS_TOKEN": METRICS_TOKEN,
    } | extra
    return env


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crisis", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    port: int
    log: Path

    def stderr(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def wait_for_role(self, role: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.stderr()}")
            try:
                _, last = self.get("/healthz")
                if isinstance(last, dict) and last.get("scheduler") == role:
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"no {role} after {timeout} s: {last}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.stderr()


def start_serve(env: dict[str, str], log: Path, *options: str) -> ServeProcess:
    port = free_port()
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "crisis", "serve", "--port", str(port), *options],
            env=env | {"CRISIS_LEADER_POLL_SECONDS": "1"},
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return ServeProcess(process, port, log)
