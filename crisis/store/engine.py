"""Engine creation: SQLite tuned for a single-writer service, or any SQLAlchemy URL.

Reads and writes begin differently. A write takes SQLite's write lock at BEGIN (IMMEDIATE),
so that two writers never read the same journal head and then both extend it. A read
(`READ_ONLY` execution option) begins deferred: in WAL mode it sees a consistent snapshot
and never waits for a writer, nor makes one wait. On PostgreSQL a read is a READ ONLY
transaction, in the same BEGIN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from crisis.settings import Settings


def normalise_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# The execution option that marks a connection's transactions as reads; on PostgreSQL,
# psycopg puts READ ONLY in the BEGIN it sends anyway (no extra round trip).
READ_ONLY = "crisis_read_only"
READ_OPTIONS: dict[str, Any] = {READ_ONLY: True, "postgresql_readonly": True}

# Connections kept open: one per request thread of the API (see `crisis.api.app`), plus the
# scheduler's and the dispatcher's, which overflow into `MAX_OVERFLOW`.
POOL_SIZE = 20
MAX_OVERFLOW = 20


def make_engine(url: str, **options: Any) -> Engine:
    url = normalise_url(url)
    options.setdefault("pool_size", POOL_SIZE)
    options.setdefault("max_overflow", MAX_OVERFLOW)
    if make_url(url).get_backend_name() != "sqlite":
        # A connection is checked on checkout only when it has sat idle for a while (the
        # server may have closed it); a busy pool pays no extra round trip per request.
        return create_engine(url, pool_pre_ping=False, pool_recycle=1800, **options)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **options)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself, so that it can be BEGIN IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def open_engine(settings: Settings) -> Engine:
    """The configured database's engine (the data folder made for the default SQLite file)."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.resolved_database_url, pool_size=settings.api_threads)
