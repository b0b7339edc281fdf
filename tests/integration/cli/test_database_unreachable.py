"""The database down: every command says so in one French line, with exit code 5."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("command", [["list"], ["worker", "--name", "essai"], ["audit", "verify"]])
def test_an_unreachable_database_is_one_french_line(tmp_path: Path, command: list[str]) -> None:
    url = f"postgresql://crise:motdepasse-secret@127.0.0.1:{_closed_port()}/crise"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")},
        "CRISIS_DATABASE_URL": url,
        "CRISIS_DATA_DIR": str(tmp_path),
    }
    finished = subprocess.run(
        [sys.executable, "-m", "crisis", *command],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert finished.returncode == 5, finished.stderr
    assert finished.stdout == ""
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("Erreur : la base de données ne répond pas (postgresql://crise:***@")
    assert "Connection refused" in lines[0]
    assert "CRISIS_DATABASE_URL" in lines[0]
    assert "motdepasse-secret" not in finished.stderr
