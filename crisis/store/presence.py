"""Whether the configured database is there, found without creating it: opening a SQLite
file that does not exist creates it, empty."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or one in memory."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def file_is_missing(database_url: str) -> bool:
    path = sqlite_file(database_url)
    return path is not None and not path.exists()


def has_schema(engine: Engine) -> bool:
    """A store that `crisis db upgrade` created (at whatever revision)."""
    with engine.connect() as connection:
        return inspect(connection).has_table("alembic_version")
