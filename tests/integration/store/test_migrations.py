"""The migrations create exactly the tables the code declares, on both databases."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from crisis.store.engine import make_engine
from crisis.store.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    include_name,
    upgrade,
)
from crisis.store.tables import metadata


def test_database_is_at_the_head_revision(engine: Engine) -> None:
    head = head_revision(engine)
    assert head is not None
    assert current_revision(engine) == head
    # The constant every command checks first: a new migration must be named there too.
    assert head == HEAD_REVISION


def test_a_store_at_the_head_is_opened_without_loading_alembic(tmp_path: Path) -> None:
    """A CLI command checks the store's revision itself; Alembic (0.1 s of a command's
    start) is loaded only to migrate."""
    database = tmp_path / "crisis.sqlite3"
    upgrade(make_engine(f"sqlite:///{database}"))
    script = (
        "import sys; from crisis.store.engine import make_engine; "
        "from crisis.store.migrate import upgrade; "
        f"upgrade(make_engine('sqlite:///{database}')); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"


def test_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        assert compare_metadata(context, metadata) == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (a new schema on PostgreSQL), migrated by the test."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield engine
        engine.dispose()
        return
    url, _ = request.getfixturevalue("postgres_schema_url")
    schema = f"crisis_mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_contacts_known_before_0010_are_active_and_0010_goes_back(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0009")
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with fresh_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contacts (id, key, name, category, exercise, created_at, updated_at)"
                " VALUES ('c1', 'nom:elu|a|', 'A', 'elu', :no, :now, :now)"
            ),
            {"no": False, "now": now.isoformat() if fresh_engine.dialect.name == "sqlite" else now},
        )
    upgrade(fresh_engine, "0010")
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT active FROM contacts")).scalar_one() in (True, 1)
    _downgrade(fresh_engine, "0009")
    assert "active" not in _columns(fresh_engine, "contacts")
    upgrade(fresh_engine)
    assert "active" in _columns(fresh_engine, "contacts")
    assert current_revision(fresh_engine) == head_revision(fresh_engine)


def test_instances_upgrading_together_take_turns(fresh_engine: Engine) -> None:
    """Several containers started together each run `crisis db upgrade`: on PostgreSQL one
    migrates while the others wait, then find the store at the head (SQLite has one writer)."""
    barrier = threading.Barrier(3)
    failures: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            upgrade(fresh_engine)
        except BaseException as error:  # the test reports any, whatever its kind
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert current_revision(fresh_engine) == head_revision(fresh_engine)
