"""The SMSC peer of the SMS tests: `tests/peers/smsc/smsc.js` (npm `smpp`) run by Node.js.

Started once per test module on 127.0.0.1 (free ports, chosen by the server), driven through
its HTTP control port. Without Node.js or the peer's node_modules the SMPP tests are skipped
on a developer's machine and fail in CI (`CI=true`), as the PostgreSQL tests do.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PEER_DIR = Path(__file__).with_name("smsc")


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI must run the SMPP tests: {reason}")
    pytest.skip(reason)


class Smsc:
    """A running SMSC; `accounts` maps each system_id to its password."""

    def __init__(self, accounts: dict[str, str], *, tls: tuple[Path, Path] | None = None) -> None:
        """`tls`: the server's certificate and key files, for SMPP inside TLS."""
        node = shutil.which("node")
        if node is None:
            _missing("Node.js is not installed")
        if not (PEER_DIR / "node_modules" / "smpp").is_dir():
            _missing(f"run `npm ci --prefix {PEER_DIR}` (scripts/test does)")
        self._process = subprocess.Popen(
            [str(node), str(PEER_DIR / "smsc.js")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={
                **os.environ,
                "SMSC_ACCOUNTS": json.dumps(accounts),
                **({"SMSC_TLS_CERT": str(tls[0]), "SMSC_TLS_KEY": str(tls[1])} if tls else {}),
            },
            cwd=PEER_DIR,
        )
        assert self._process.stdout is not None
        first = self._process.stdout.readline()
        if not first:
            self.close()
            raise RuntimeError("the SMSC peer did not start")
        ports = json.loads(first)
        self.host = "127.0.0.1"
        self.port: int = ports["smpp"]
        self._control = f"http://127.0.0.1:{ports['control']}"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        request = urllib.request.Request(  # noqa: S310 - the peer's loopback control port
            self._control + path, data=data, method=method
        )
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return json.loads(answer.read() or b"null")

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self._call("GET", "/state")
        return state

    def reset(self) -> None:
        self._call("POST", "/reset")

    def configure(self, **settings: Any) -> None:
        self._call("POST", "/config", settings)

    def throttle(self, count: int, status: int | None = None) -> None:
        self._call("POST", "/throttle", {"count": count, **({"status": status} if status else {})})

    def drop_at(self, after: int) -> None:
        """Close every link when the `after`-th next submit_sm arrives, without answering it."""
        self._call("POST", "/drop", {"after": after})

    def send_receipt(self, **receipt: Any) -> None:
        self._call("POST", "/receipt", receipt)

    def ask_unbind(self) -> None:
        self._call("POST", "/unbind")

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The state once `predicate` holds of it; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"the SMSC never reached the expected state: {state}")
            time.sleep(0.02)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


@contextlib.contextmanager
def running_smsc(
    accounts: dict[str, str], *, tls: tuple[Path, Path] | None = None
) -> Iterator[Smsc]:
    """An SMSC for the time of the block (a test module's, as a fixture)."""
    server = Smsc(accounts, tls=tls)
    try:
        yield server
    finally:
        server.close()
