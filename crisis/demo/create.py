"""`crisis demo`: a new demonstration database, never over a database of real use."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from crisis.bootstrap import bootstrap
from crisis.clock import Clock, SystemClock
from crisis.demo.seed import DemoContents, seed_demonstration
from crisis.settings import Settings
from crisis.store.demonstration import is_demonstration, mark_demonstration
from crisis.store.migrate import upgrade


class NotADemonstrationDatabaseError(Exception):
    """The database holds a service in use: a demonstration must not be mixed into it."""


class DemonstrationExistsError(Exception):
    """The demonstration database was made earlier (its passwords were shown then)."""


def create_demonstration(
    settings: Settings, engine: Engine, *, clock: Clock | None = None
) -> DemoContents:
    """Make `engine`'s empty database a demonstration one, filled; refuse any other."""
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        if is_demonstration(engine):
            raise DemonstrationExistsError
        raise NotADemonstrationDatabaseError
    upgrade(engine)
    clock = clock or SystemClock()
    with engine.begin() as connection:
        mark_demonstration(connection, at=clock.now())
    service = bootstrap(settings=settings, engine=engine, clock=clock)
    try:
        return seed_demonstration(service)
    finally:
        service.close()
