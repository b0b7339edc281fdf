"""Reading what the service published: feed entries and CAP alerts, real or exercise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from crisis.store.tables import publications


@dataclass(frozen=True, slots=True)
class Publication:
    identifier: str
    message_id: str
    crisis_id: str
    kind: str
    exercise: bool
    published_at: datetime
    title: str
    text: str
    html: str | None
    msg_type: str
    document: str | None


class PublicationRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def latest(self, *, kind: str, exercise: bool, limit: int = 50) -> list[Publication]:
        rows = self._conn.execute(
            select(publications)
            .where(publications.c.kind == kind, publications.c.exercise == exercise)
            .order_by(publications.c.published_at.desc(), publications.c.id.desc())
            .limit(limit)
        )
        return [_publication(r) for r in rows]

    def cap(self, identifier: str, *, exercise: bool) -> Publication | None:
        row = self._conn.execute(
            select(publications).where(
                publications.c.kind == "cap",
                publications.c.identifier == identifier,
                publications.c.exercise == exercise,
            )
        ).first()
        return None if row is None else _publication(row)


def _publication(row: Any) -> Publication:
    return Publication(
        identifier=row.identifier,
        message_id=row.message_id,
        crisis_id=row.crisis_id,
        kind=row.kind,
        exercise=row.exercise,
        published_at=row.published_at,
        title=row.title,
        text=row.text,
        html=row.html,
        msg_type=row.msg_type,
        document=row.document,
    )
