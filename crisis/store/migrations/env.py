"""Alembic environment: runs on the connection handed over by `crisis.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from crisis.store.engine import make_engine
from crisis.store.migrate import include_name
from crisis.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as own_connection:
        _run(own_connection)
