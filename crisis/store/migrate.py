"""Run the Alembic migrations shipped inside the package."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from crisis.store.engine import READ_OPTIONS

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest migration. Every command checks the store against it first: when the store is
# there already, Alembic is not even loaded (0.1 s of every CLI command). A test checks
# it against the migrations folder, so a new migration cannot be forgotten here.
HEAD_REVISION = "0020"

# Alembic installs its `context` and `op` proxies as module attributes of its own for the time
# of a migration: two migrations at once in one process (two drills playing together, each on
# a database of its own) would run on each other's proxies. This lock guards that state of
# the library, not of ours, and is held only while Alembic runs.
_ALEMBIC_RUNNING = threading.Lock()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


# Tables the service does not own: APScheduler creates and manages its job table itself.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's filter: leave alone the tables that other libraries own."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store to `revision`. On PostgreSQL, instances started together (several
    containers each running `crisis db upgrade`) take turns on a lock held until commit: the
    first migrates, the others then find the store up to date."""
    if revision == "head" and _stored_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    config = alembic_config(engine)
    with _ALEMBIC_RUNNING, engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    "SELECT pg_advisory_xact_lock(hashtext('crisis-migrate:' || current_schema()))"
                )
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect().execution_options(**READ_OPTIONS) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _stored_revision(engine: Engine) -> str | None:
    """The store's revision, read directly (None when there is no store yet)."""
    try:
        with engine.connect().execution_options(**READ_OPTIONS) as connection:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except Exception:  # no table yet, or a database Alembic will report on properly
        return None
    return None if row is None else str(row[0])
