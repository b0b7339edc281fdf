"""Large fan-outs in the store: their position, advanced with each chunk written."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, insert, select, update

from crisis.domain.errors import NotFound
from crisis.domain.fanouts import ContactKey, Fanout
from crisis.store.tables import fanouts


def _fanout(row: Any) -> Fanout:
    after = (
        ContactKey(row.after_category, row.after_name, row.after_id)
        if row.after_id is not None
        else None
    )
    return Fanout(
        message_id=row.message_id,
        crisis_id=row.crisis_id,
        channels=tuple(row.channels) if row.channels is not None else None,
        audience_index=row.audience_index,
        after=after,
        by_channel=dict(row.by_channel),
        unreachable=row.unreachable,
        accepted_at=row.accepted_at,
        finished_at=row.finished_at,
    )


def _position(fanout: Fanout) -> dict[str, Any]:
    after = fanout.after
    return {
        "audience_index": fanout.audience_index,
        "after_category": after.category if after else None,
        "after_name": after.name if after else None,
        "after_id": after.id if after else None,
        "by_channel": dict(sorted(fanout.by_channel.items())),
        "unreachable": fanout.unreachable,
        "finished_at": fanout.finished_at,
    }


class FanoutRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, fanout: Fanout) -> None:
        self._conn.execute(
            insert(fanouts).values(
                message_id=fanout.message_id,
                crisis_id=fanout.crisis_id,
                channels=list(fanout.channels) if fanout.channels is not None else None,
                accepted_at=fanout.accepted_at,
                **_position(fanout),
            )
        )

    def get(self, message_id: str, *, for_update: bool = False) -> Fanout:
        query = select(fanouts).where(fanouts.c.message_id == message_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        if row is None:
            raise NotFound(f"Aucune mise en file en arrière-plan pour le message « {message_id} ».")
        return _fanout(row)

    def save(self, fanout: Fanout) -> None:
        self._conn.execute(
            update(fanouts)
            .where(fanouts.c.message_id == fanout.message_id)
            .values(**_position(fanout))
        )

    def unfinished(self) -> list[str]:
        """The messages whose fan-out is still being written, oldest first."""
        query = (
            select(fanouts.c.message_id)
            .where(fanouts.c.finished_at.is_(None))
            .order_by(fanouts.c.accepted_at, fanouts.c.message_id)
        )
        return list(self._conn.scalars(query))

    def unfinished_among(self, message_ids: Collection[str]) -> set[str]:
        """Those of these messages whose fan-out is still being written."""
        if not message_ids:
            return set()
        query = select(fanouts.c.message_id).where(
            fanouts.c.message_id.in_(sorted(message_ids)), fanouts.c.finished_at.is_(None)
        )
        return set(self._conn.scalars(query))
