"""Real processes: the CLI starts no scheduler; one leader among several `crisis serve`; the
leader hears of deadlines created by the CLI within a second; a killed leader is replaced."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crisis.store.tables import clock_alerts
from tests.integration.cli.test_cli import database_url
from tests.integration.ops.processes import ServeProcess, crisis_env, run_cli, start_serve

__all__ = ["database_url"]  # the fixture, shared with the CLI tests

WARNING_MINUTES = 30


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return crisis_env(database_url, tmp_path / "data")


@pytest.fixture
def on_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several instances, and the announcement of deadlines, need PostgreSQL")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[ServeProcess]]:
    started: list[ServeProcess] = []
    yield started
    for server in started:
        server.stop()


def activate(env: dict[str, str], decided_at: datetime) -> str:
    result = run_cli(
        env,
        "activate",
        "--title",
        "Crue de l'Essonne",
        "--kind",
        "inondation",
        "--exercise",
        "--decided-at",
        decided_at.isoformat(),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.split('"crisis_id": "')[1].split('"')[0]


def warnings_raised(engine: Engine, crisis_id: str) -> list[tuple[datetime, datetime]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(clock_alerts.c.due_at, clock_alerts.c.raised_at).where(
                clock_alerts.c.crisis_id == crisis_id,
                clock_alerts.c.offset_minutes == WARNING_MINUTES,
            )
        ).all()
    return [(r.due_at, r.raised_at) for r in rows]


def wait_for_warnings(
    engine: Engine, crisis_id: str, timeout: float
) -> list[tuple[datetime, datetime]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = warnings_raised(engine, crisis_id)
        if len(found) >= 4:
            return found
        time.sleep(0.1)
    return warnings_raised(engine, crisis_id)


def test_back_dated_activation_prints_nothing_on_stderr(env: dict[str, str]) -> None:
    # Forty minutes ago: the 30-minute warnings are already due when the command commits.
    activate(env, datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40))


@pytest.mark.usefixtures("on_postgres")
def test_the_leader_raises_a_warning_created_by_the_cli_within_a_second(
    engine: Engine, env: dict[str, str], servers: list[ServeProcess], tmp_path: Path
) -> None:
    servers.append(start_serve(env | {"CRISIS_LOG_FORMAT": "json"}, tmp_path / "serve.log"))
    servers[0].wait_for_role("leader")
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
    crisis_id = activate(env, due - timedelta(minutes=WARNING_MINUTES))
    found = wait_for_warnings(engine, crisis_id, timeout=40)
    assert len(found) == 4  # one per clock
    for due_at, raised_at in found:
        assert due_at == due
        assert timedelta(0) <= raised_at - due_at <= timedelta(seconds=1)
    # CRISIS_LOG_FORMAT=json: every line the service wrote is one JSON object.
    lines = servers[0].stop().splitlines()
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["message"] == "planificateur : ce processus est le meneur" for r in records)
    assert any(r["logger"] == "uvicorn.error" for r in records)


@pytest.mark.usefixtures("on_postgres")
def test_a_killed_leader_is_replaced_and_the_warning_raised_once(
    engine: Engine, env: dict[str, str], servers: list[ServeProcess], tmp_path: Path
) -> None:
    first = start_serve(env, tmp_path / "first.log")
    servers.append(first)
    first.wait_for_role("leader")
    # Each instance its own dispatcher name, as the README asks (one name, one live process).
    second = start_serve(env | {"CRISIS_WORKER_NAME": "dispatcher-2"}, tmp_path / "second.log")
    servers.append(second)
    second.wait_for_role("standby")

    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=25)
    crisis_id = activate(env, due - timedelta(minutes=WARNING_MINUTES))
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 1.5))
    assert warnings_raised(engine, crisis_id) == []
    first.kill()  # just before the warning is due

    found = wait_for_warnings(engine, crisis_id, timeout=30)
    second.wait_for_role("leader", timeout=5)
    assert len(found) == 4  # exactly once per clock (the unique constraint would refuse more)
    for due_at, raised_at in found:
        assert due_at == due
        assert timedelta(0) <= raised_at - due_at <= timedelta(seconds=15)
    with engine.connect() as connection:
        kinds = (
            connection.execute(
                select(clock_alerts.c.kind).where(clock_alerts.c.crisis_id == crisis_id)
            )
            .scalars()
            .all()
        )
    assert kinds.count("warning") == 4


def test_a_bad_setting_is_a_french_error_without_traceback(env: dict[str, str]) -> None:
    result = run_cli(env | {"CRISIS_LOG_FORMAT": "xml"}, "list")
    assert result.returncode == 2
    assert result.stderr == (
        "Erreur : Réglages invalides — CRISIS_LOG_FORMAT : valeur inconnue ; valeurs possibles :"
        " 'text' ou 'json' ; reçu « xml ».\n"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("on_postgres")
def test_worker_processes_serve_and_stay_up(
    env: dict[str, str], servers: list[ServeProcess], tmp_path: Path
) -> None:
    """`serve --workers 2`: the workers live past uvicorn's health check (they used to be
    killed every five seconds, their start being slower than that), and each request is logged
    once, by our middleware, not a second time by uvicorn's access logger."""
    server = start_serve(env, tmp_path / "workers.log", "--workers", "2")
    servers.append(server)
    server.wait_for_role("aucun")  # a worker answers: workers run no scheduler
    started = time.monotonic()
    while time.monotonic() - started < 7:
        status, _ = server.get("/api/v1/me", {"X-Request-ID": "sonde-des-processus"})
        assert status == 401
        time.sleep(0.5)
    log = server.stderr()
    assert "died" not in log, log
    request_lines = [line for line in log.splitlines() if "sonde-des-processus" in line]
    assert request_lines, log
    assert all("crisis.http" in line for line in request_lines), request_lines
