"""Backups of the embedded SQLite database with SQLite's online backup API, and restores.

A backup is consistent even while the service writes: the backup API copies a snapshot and
starts again if a writer changed a page it had copied. On PostgreSQL, `pg_dump` is the tool;
`pg_dump_command` says which command to run.
"""

from __future__ import annotations

import fcntl
import shlex
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, Engine

from crisis.ops.process import in_use_lock_path

REQUIRED_TABLES = ("alembic_version", "journal", "crises")


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why, in French."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    size: int
    revision: str | None


def sqlite_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def pg_dump_command(engine: Engine, out: Path) -> str:
    url = engine.url
    target = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database
    ).render_as_string()
    return shlex.join(["pg_dump", "--format=custom", f"--file={out}", target])


def _check_copy(path: Path) -> str | None:
    """Integrity and tables of a copy; its schema revision."""
    with closing(sqlite3.connect(path)) as connection:
        status = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"la copie {path} est endommagée ({status})")
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise BackupError(
                f"{path} n'est pas une base du service (tables absentes : {', '.join(missing)})"
            )
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _copy(source_path: Path, target_path: Path, *, self_contained: bool) -> None:
    """SQLite's online backup: a consistent snapshot even while another process writes."""
    with (
        closing(sqlite3.connect(source_path, timeout=30)) as source,
        closing(sqlite3.connect(target_path, timeout=30)) as target,
    ):
        source.backup(target)
        if self_contained:  # no write-ahead log beside the copy
            target.execute("PRAGMA journal_mode=DELETE")


def backup_sqlite(engine: Engine, out: Path) -> BackupReport:
    source_path = sqlite_path(engine)
    if source_path is None:
        raise BackupError("la base n'est pas un fichier SQLite")
    if not source_path.is_file():
        raise BackupError(f"base introuvable : {source_path}")
    if out.resolve() == source_path.resolve():
        raise BackupError("la copie ne peut pas remplacer la base elle-même")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partiel")
    partial.unlink(missing_ok=True)
    _copy(source_path, partial, self_contained=True)
    revision = _check_copy(partial)
    partial.replace(out)
    return BackupReport(out, out.stat().st_size, revision)


def restore_sqlite(engine: Engine, source: Path) -> BackupReport:
    target_path = sqlite_path(engine)
    if target_path is None:
        raise BackupError("la base n'est pas un fichier SQLite : utilisez pg_restore")
    if not source.is_file():
        raise BackupError(f"copie introuvable : {source}")
    revision = _check_copy(source)
    lock_path = in_use_lock_path(engine)
    assert lock_path is not None
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("ab") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BackupError(
                "la base est utilisée par un processus en cours (crisis serve ou crisis worker) :"
                " arrêtez-le avant de restaurer"
            ) from None
        _copy(source, target_path, self_contained=False)
    return BackupReport(target_path, target_path.stat().st_size, revision)
