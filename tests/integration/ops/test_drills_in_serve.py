"""Drills played inside a real `crisis serve` leave its live clocks alone.

On PostgreSQL, one `crisis serve` with short clocks (2 minutes, a warning at 1 minute): an
event is activated, then two drills play at once — a programmed one claimed by the scheduler's
sweep and one started with « Jouer maintenant » through the console's own route — then a second
event is activated. Every warning and breach of both events must be raised once and on time
(at most a second late), and no scheduled job may fail. (A drill's service, once closed, used to
take the scheduler's jobs' bus with it: the second event then got no alert at all.)
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from crisis.clock import PARIS
from crisis.store.tables import clock_alerts, drill_runs
from tests.integration.cli.test_cli import database_url
from tests.integration.ops.processes import (
    METRICS_TOKEN,
    ServeProcess,
    crisis_env,
    run_cli,
    start_serve,
)

__all__ = ["database_url"]  # the fixture, shared with the CLI tests

PASSWORD = "mot de passe du cadre 2026"
LEAD = timedelta(seconds=40)  # each event's decision, this long before its activation is typed
CLOCKS = 4  # cell, élus, public, media
ALERTS_PER_CLOCK = 2  # the warning at 1 minute, the breach at 2


@pytest.fixture
def serve(
    engine: Engine, database_url: str, tmp_path: Path
) -> Iterator[tuple[ServeProcess, dict[str, str]]]:
    if engine.dialect.name != "postgresql":
        pytest.skip("the real-process test of the clocks runs on PostgreSQL")
    env = crisis_env(
        database_url,
        tmp_path / "data",
        CRISIS_CELL_TARGET_MINUTES="2",
        CRISIS_AUDIENCE_TARGET_MINUTES="2",
        CRISIS_WARNING_OFFSETS_MINUTES="[1]",
        CRISIS_SWEEP_SECONDS="2",
    )
    added = subprocess.run(
        [
            sys.executable,
            *("-m", "crisis", "user", "add", "Cadre"),
            *("--role", "duty_officer", "--password-stdin"),
        ],
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    server = start_serve(env, tmp_path / "serve.log")
    try:
        server.wait_for_role("leader")
        yield server, env
    finally:
        server.stop()


def activate(env: dict[str, str], title: str) -> tuple[str, datetime]:
    decided_at = datetime.now(UTC).replace(microsecond=0) - LEAD
    result = run_cli(
        env,
        "activate",
        "--title",
        title,
        "--kind",
        "inondation",
        "--exercise",
        "--decided-at",
        decided_at.isoformat(),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split('"crisis_id": "')[1].split('"')[0], decided_at


def programme_a_drill(env: dict[str, str]) -> datetime:
    """An entry whose daily occurrence is thirty seconds from now (RRULE to the second); that
    instant. The command must have stored it before: it takes seconds on a loaded machine, and
    an occurrence already past when it is stored is tomorrow's."""
    due = (datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)
    wall = due.astimezone(PARIS)
    result = run_cli(
        env,
        "drill",
        "schedule",
        "add",
        "Exercice quotidien",
        "--scenario",
        "crue-seine",
        "--rrule",
        f"FREQ=DAILY;BYHOUR={wall.hour};BYMINUTE={wall.minute};BYSECOND={wall.second}",
        "--notice-days",
        "0",
    )
    assert result.returncode == 0, result.stderr
    return due


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden field {name}"
    return found.group(1)


def play_now_in_the_console(server: ServeProcess) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as browser:
        form = browser.get("/connexion")
        signed_in = browser.post(
            "/connexion",
            data={
                "username": "Cadre",
                "password": PASSWORD,
                "csrf_token": hidden(form.text, "csrf_token"),
            },
        )
        assert signed_in.status_code in (200, 303), signed_in.text[:500]
        page = browser.get("/exercices")
        assert page.status_code == 200
        played = browser.post(
            "/exercices/jouer",
            data={"scenario": "crue-seine", "csrf_token": hidden(page.text, "csrf_token")},
        )
        assert played.status_code in (200, 303), played.text[:500]


def finished_runs(engine: Engine) -> list[tuple[str | None, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(drill_runs.c.finished_at, drill_runs.c.error, drill_runs.c.state)
        ).all()
    return [(r.state, r.error) for r in rows if r.finished_at is not None]


def alerts_of(engine: Engine, crisis_id: str) -> list[tuple[datetime, datetime]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(clock_alerts.c.due_at, clock_alerts.c.raised_at).where(
                clock_alerts.c.crisis_id == crisis_id
            )
        ).all()
    return [(r.due_at, r.raised_at) for r in rows]


def wait_until(condition: object, timeout: float) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.2)


def test_two_drills_during_a_live_hour_leave_every_alert_on_time(
    engine: Engine, serve: tuple[ServeProcess, dict[str, str]]
) -> None:
    server, env = serve
    before, before_decided = activate(env, "Crue avant les exercices")
    drill_due = programme_a_drill(env)
    # The programmed drill starts at the next sweep after its instant; this one with it.
    wait_until(lambda: datetime.now(UTC) > drill_due, timeout=45)
    play_now_in_the_console(server)
    # Two drills played as fast as the processor allows, in one process: a minute on a calm
    # two-core machine, four on a machine other work shares. Left as soon as both are done.
    wait_until(lambda: len(finished_runs(engine)) == 2, timeout=400)
    assert finished_runs(engine) == [("done", None), ("done", None)]
    after, after_decided = activate(env, "Crue après les exercices")

    last_due = after_decided + timedelta(minutes=2)
    wait_until(lambda: datetime.now(UTC) > last_due + timedelta(seconds=3), timeout=200)
    for crisis_id, decided in ((before, before_decided), (after, after_decided)):
        found = alerts_of(engine, crisis_id)
        assert len(found) == CLOCKS * ALERTS_PER_CLOCK, crisis_id
        assert sorted({due for due, _ in found}) == [
            decided + timedelta(minutes=1),
            decided + timedelta(minutes=2),
        ]
        for due, raised in found:
            assert timedelta(0) <= raised - due <= timedelta(seconds=1), (due, raised)

    status, ready = server.get("/readyz")
    assert status == 200, ready
    assert ready["checks"]["deadline_sweep"] is not None
    metrics = httpx.get(
        f"http://127.0.0.1:{server.port}/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=10,
    ).text
    assert "crisis_scheduler_job_failures_total{" not in metrics  # no job ever failed
    log = server.stop()
    assert "no message bus" not in log
    assert "tâche planifiée" not in log
