"""The migrations create exactly the tables the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from crisis.store.migrate import current_revision, head_revision, include_name
from crisis.store.tables import metadata


def test_database_is_at_the_head_revision(engine: Engine) -> None:
    head = head_revision(engine)
    assert head is not None
    assert current_revision(engine) == head


def test_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        assert compare_metadata(context, metadata) == []
