"""Which process fires deadlines, escalations and drill runs: exactly one at a time.

On PostgreSQL the leader holds a session advisory lock on a connection of its own; the server
releases it the moment that connection dies (a killed process, a lost host), and a standby takes
it at its next attempt. On SQLite, whose processes share one host, the leader holds an exclusive
lock on a file beside the database, which the kernel releases when the process dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import Engine, text

from crisis.failure_streak import FailureStreak

log = logging.getLogger(__name__)

LOCK_NAME = "crisis-scheduler"


class Leadership(Protocol):
    def try_acquire(self) -> bool:
        """Take the leadership if nobody holds it; True when this process holds it."""
        ...

    def still_held(self) -> bool:
        """Whether the leadership taken earlier is still ours."""
        ...

    def release(self) -> None: ...


def dedicated_connection(engine: Engine) -> Any:
    """A psycopg connection of its own, out of the pool, in autocommit: a session that lives
    as long as this process wants (an advisory lock, a LISTEN)."""
    pooled = engine.raw_connection()
    connection: Any = pooled.driver_connection
    pooled.detach()
    connection.autocommit = True
    return connection


def _key(scope: str, name: str = LOCK_NAME) -> int:
    """A signed 64-bit advisory-lock key for one lock of one database schema."""
    digest = hashlib.sha256(f"{name}:{scope}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLeadership:
    """A session advisory lock, per schema (several deployments may share one database)."""

    def __init__(
        self, engine: Engine, *, name: str = LOCK_NAME, label: str = "planificateur"
    ) -> None:
        self._engine = engine
        self._name = name
        self._label = label  # who holds it, in the log lines
        self._connection: Any = None  # the driver's own connection, kept out of the pool
        self._key: int | None = None
        self._unreachable = FailureStreak(log, f"verrou du {label} : base injoignable")

    def try_acquire(self) -> bool:
        try:
            if self._connection is None:
                self._connection = dedicated_connection(self._engine)
            if self._key is None:
                schema = self._connection.execute("SELECT current_schema()").fetchone()[0]
                self._key = _key(str(schema), self._name)
            row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
            acquired = bool(row.fetchone()[0])
        except Exception:
            self._unreachable.failed()
            self.release()
            return False
        self._unreachable.succeeded()
        return acquired

    def still_held(self) -> bool:
        if self._connection is None or self._key is None:
            return False
        try:
            # A session lock lasts as long as its session: a live connection still holds it.
            self._connection.execute("SELECT 1")
            return True
        except Exception:
            log.warning("%s : connexion du verrou perdue", self._label, exc_info=True)
            self.release()
            return False

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if self._key is not None:
                # Released before the answer comes back. Closing the session releases it too,
                # but only once the server has ended the session, after the client has gone:
                # a successor started at once could still find the name taken.
                connection.execute("SELECT pg_advisory_unlock_all()")
        except Exception:
            log.debug("releasing the leadership lock failed", exc_info=True)
        try:
            connection.close()
        except Exception:
            log.debug("closing the leadership connection failed", exc_info=True)


class FileLeadership:
    """An exclusive `flock` on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self._path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def still_held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


class SoleLeadership:
    """An in-memory database: no other process can share it."""

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        return None


def leadership_for(engine: Engine) -> Leadership:
    """The scheduler's: one leader per database."""
    return _exclusive(engine, name=LOCK_NAME, file_suffix="scheduler", label="planificateur")


def worker_lock(engine: Engine, worker: str) -> Leadership:
    """One dispatcher per worker name and database: a dispatcher hands back, as it starts, the
    deliveries its name holds (those a crashed predecessor left), which must never be those a
    live one is sending."""
    digest = hashlib.sha256(worker.encode()).hexdigest()[:16]
    return _exclusive(
        engine,
        name=f"crisis-dispatcher:{worker}",
        file_suffix=f"dispatcher-{digest}",
        label=f"répartiteur « {worker} »",
    )


def _exclusive(engine: Engine, *, name: str, file_suffix: str, label: str) -> Leadership:
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine, name=name, label=label)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        path = Path(database)
        return FileLeadership(path.with_name(f"{path.name}.{file_suffix}.lock"))
    return SoleLeadership()


def current_schema(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT current_schema()")).scalar_one())
