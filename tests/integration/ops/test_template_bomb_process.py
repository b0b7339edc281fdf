"""A real `crisis serve`: while a live 30-minute warning falls due, a comm-cell user keeps
submitting template bombs through the API. Each gets its 422 quickly, the service's memory
stays low, and the warning is raised on time: no rendering holds the database meanwhile."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.cli.test_cli import database_url
from tests.integration.ops.processes import crisis_env, run_cli, start_serve
from tests.integration.ops.test_instances import WARNING_MINUTES, activate, wait_for_warnings

__all__ = ["database_url"]  # the fixture, shared with the CLI tests

BOMBS = (
    "{{ 'x'|center(300000000) }}",
    "{{ '%300000000d' % 1 }}",
    "{{ '{:300000000}'.format(1) }}",
    "{{ 'x'|indent(300000000, true) }}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
)
# The rendering stops after half a second of its thread's processor time; the answer's wall time
# adds what the machine's other work takes (2.3 s seen on a loaded machine). Unbounded, a bomb
# would take minutes and gigabytes.
MAX_ANSWER_SECONDS = 5.0
MAX_PEAK_RSS_KB = 400_000  # the service alone: about 180 MB


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return crisis_env(database_url, tmp_path / "data")


@pytest.fixture
def on_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the database's single write lock, held by a slow request, is SQLite's")


def comm_cell_token(env: dict[str, str]) -> str:
    result = run_cli(env, "user", "add", "cellule", "--role", "comm_cell", "--json")
    assert result.returncode == 0, result.stderr
    token: str = json.loads(result.stdout)["token"]
    return token


def submit(port: int, token: str, source: str) -> tuple[int, str, float]:
    body = {
        "manifest": {
            "title": "Coupure d'eau potable",
            "description": "Information sur une coupure d'eau potable.",
            "audiences": ["public"],
            "variants": ["sms"],
            "variables": [
                {"name": "commune", "type": "str", "description": "Commune.", "example": "Massy"}
            ],
        },
        "sources": {"sms": source},
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/templates/coupure_eau/versions",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    return status, text, time.monotonic() - started


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.usefixtures("on_sqlite")
def test_bombs_submitted_while_a_warning_falls_due_do_not_delay_it(
    engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    token = comm_cell_token(env)
    # Time for the command and the service to start: 5 s calm, 35 s seen on a shared machine.
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=50)
    crisis_id = activate(env, due - timedelta(minutes=WARNING_MINUTES))
    server = start_serve(env, tmp_path / "serve.log")
    try:
        server.wait_for_role("leader")
        answers: list[tuple[int, str, float]] = []
        stop = threading.Event()

        def bomber() -> None:  # one user, one request after another
            while not stop.is_set():
                for source in BOMBS:
                    answers.append(submit(server.port, token, source))

        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 4))
        assert (due - datetime.now(UTC)).total_seconds() > 1, "the service took too long to start"
        worker = threading.Thread(target=bomber)
        worker.start()
        found = wait_for_warnings(engine, crisis_id, timeout=30)
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() + 2))
        stop.set()
        worker.join(timeout=60)
        peak = peak_rss_kb(server.process.pid)
    finally:
        log = server.stop()
    assert len(found) == 4, log  # one per clock
    for due_at, raised_at in found:
        assert due_at.replace(tzinfo=UTC) == due
        assert timedelta(0) <= raised_at.replace(tzinfo=UTC) - due <= timedelta(seconds=1)
    assert len(answers) >= len(BOMBS)
    for status, text, seconds in answers:
        assert status == 422, text
        assert "est refusé" in json.loads(text)["error"]["message"]
        assert seconds < MAX_ANSWER_SECONDS
    assert peak < MAX_PEAK_RSS_KB
