"""Whether a database is a demonstration one, and what its demonstration channels « sent »."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, inspect, select
from sqlalchemy.exc import OperationalError

from crisis.store.tables import demo_outbox, demonstration

DEMONSTRATION_ROW = 1


def is_demonstration(engine: Engine) -> bool:
    """True when `crisis demo` made this database (an older schema is never one).

    A database that cannot be reached is taken as no demonstration: the service must still
    start, and say on /readyz that its database is gone (a demonstration database is a local
    SQLite file, which is there).
    """
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(demonstration.name):
                return False
            return connection.execute(select(demonstration.c.id)).first() is not None
    except OperationalError:
        return False


def mark_demonstration(connection: Connection, *, at: datetime) -> None:
    connection.execute(insert(demonstration).values(id=DEMONSTRATION_ROW, created_at=at))


@dataclass(frozen=True, slots=True)
class DemoSent:
    """One message a demonstration channel « sent »."""

    delivery_id: str
    channel: str
    recipient: str
    subject: str | None
    text: str
    exercise: bool
    crisis_id: str | None
    sent_at: datetime


def sent_messages(connection: Connection, *, limit: int = 200) -> list[DemoSent]:
    """The newest first."""
    query = select(demo_outbox).order_by(demo_outbox.c.sent_at.desc()).limit(limit)
    return [
        DemoSent(
            delivery_id=row.delivery_id,
            channel=row.channel,
            recipient=row.recipient,
            subject=row.subject,
            text=row.text,
            exercise=row.exercise,
            crisis_id=row.crisis_id,
            sent_at=row.sent_at,
        )
        for row in connection.execute(query)
    ]
