"""Backups while the service writes, restores that refuse a database in use, journal exports
verified offline."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from crisis.bootstrap import bootstrap
from crisis.cli import app
from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.vocabulary import CrisisKind
from crisis.ops.backup import backup_sqlite
from crisis.services.context import Actor
from crisis.settings import Settings
from crisis.store.engine import make_engine
from crisis.store.migrate import upgrade
from tests.integration.cli.test_cli import database_url
from tests.integration.ops.processes import crisis_env, run_cli

__all__ = ["database_url"]  # the fixture, shared with the CLI tests

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u1")


def open_crisis(service_bus: object, title: str) -> str:
    command = OpenCrisis(
        title=title,
        kind=CrisisKind.INONDATION,
        exercise=True,
        activation=CodDecision(decided_by="préfet", synergi_ref=None),
    )
    crisis_id: str = service_bus.handle(command, actor=OFFICER)  # type: ignore[attr-defined]
    return crisis_id


def test_a_backup_taken_while_writing_restores_to_a_journal_that_verifies(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    engine = make_engine(f"sqlite:///{live / 'crisis.sqlite3'}")
    upgrade(engine)
    service = bootstrap(settings=Settings(data_dir=live), engine=engine)
    stop = threading.Event()
    written: list[str] = []

    def keep_writing() -> None:
        while not stop.is_set():
            written.append(open_crisis(service.bus, f"Crue n° {len(written)}"))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 3:
            time.sleep(0.01)
        copies = [backup_sqlite(engine, tmp_path / f"copy-{n}.sqlite3") for n in range(3)]
    finally:
        stop.set()
        writer.join()
        service.close()
    assert all(c.revision for c in copies)

    restored = tmp_path / "restored"
    env = crisis_env(f"sqlite:///{restored / 'crisis.sqlite3'}", restored)
    result = run_cli(env, "restore", "--from", str(copies[-1].path), "--yes")
    assert result.returncode == 0, result.stderr
    assert "restaurée" in result.stdout
    verified = run_cli(env, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["ok"] is True
    assert len(report["streams"]) >= 3  # crises written before the copy are in it, intact


def test_restore_refuses_a_database_in_use(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = crisis_env(f"sqlite:///{data / 'crisis.sqlite3'}", data)
    assert run_cli(env, "db", "upgrade").returncode == 0
    copy = tmp_path / "copy.sqlite3"
    made = run_cli(env, "backup", "--out", str(copy))
    assert made.returncode == 0, made.stderr
    worker = subprocess.Popen(
        [sys.executable, "-m", "crisis", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lock = data / "crisis.sqlite3.in-use.lock"
        for _ in range(300):  # until the worker holds the database
            if lock.exists():
                with lock.open("ab") as probe:
                    try:
                        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        fcntl.flock(probe, fcntl.LOCK_UN)
                    except OSError:
                        break
            time.sleep(0.1)
        refused = run_cli(env, "restore", "--from", str(copy), "--yes")
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert refused.returncode == 2
    assert "utilisée par un processus en cours" in refused.stderr
    assert run_cli(env, "restore", "--from", str(copy), "--yes").returncode == 0


def test_backup_on_postgresql_prints_the_pg_dump_command(tmp_path: Path) -> None:
    env = crisis_env("postgresql://crisis:s3cret@db.example:5432/crisis", tmp_path)
    result = run_cli(env, "backup", "--out", "/sauvegardes/crisis.dump")
    assert result.returncode == 2
    assert result.stdout.strip() == (
        "pg_dump --format=custom --file=/sauvegardes/crisis.dump postgresql://crisis@db.example:5432/crisis"
    )
    assert "pg_dump" in result.stderr and "s3cret" not in result.stdout + result.stderr


def test_a_journal_export_verifies_offline_and_a_tampered_one_does_not(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"CRISIS_DATABASE_URL": database_url, "CRISIS_DATA_DIR": str(tmp_path)}
    service = bootstrap(settings=Settings(data_dir=tmp_path), engine=engine)
    first = open_crisis(service.bus, "Crue de l'Yerres")
    open_crisis(service.bus, "Tempête")
    whole, one = tmp_path / "journal.jsonl", tmp_path / "one.jsonl"
    assert runner.invoke(app, ["journal", "export", "--out", str(whole)], env=env).exit_code == 0
    result = runner.invoke(
        app, ["journal", "export", "--crisis", first, "--out", str(one)], env=env
    )
    assert result.exit_code == 0, result.stderr
    assert runner.invoke(app, ["journal", first], env=env).exit_code == 0  # still `journal ID`

    checked = runner.invoke(app, ["audit", "verify", "--file", str(whole), "--json"], env={})
    assert checked.exit_code == 0, checked.stdout
    assert len(json.loads(checked.stdout)["streams"]) == 2
    lines = one.read_text("utf-8").splitlines()
    assert {json.loads(line)["stream"] for line in lines[1:]} == {first}

    tampered = [json.loads(line) for line in lines]
    tampered[2]["actor"] = "quelqu'un d'autre"
    one.write_text("".join(json.dumps(t) + "\n" for t in tampered), "utf-8")
    broken = runner.invoke(app, ["audit", "verify", "--file", str(one)], env={})
    assert broken.exit_code == 1
    assert "CHAÎNE ROMPUE à l'entrée n° 2" in broken.stdout
    one.write_text("pas du JSON\n", "utf-8")
    unreadable = runner.invoke(app, ["audit", "verify", "--file", str(one)], env={})
    assert unreadable.exit_code == 2
    assert "ligne 1 : ligne illisible (JSON invalide, caractère 1)" in unreadable.stderr
