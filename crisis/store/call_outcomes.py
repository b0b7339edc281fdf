"""The outbox's phone calls: what the person called did, the calls a page no longer needs,
and the calls of a round counted by outcome (journalled once per round)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from crisis.store.delivery_rows import DeliveryRow, delivery_row
from crisis.store.delivery_status import DeliveryStatus
from crisis.store.tables import deliveries


class CallOutcomes:
    _conn: Connection

    def cancel_pending(self, message_id: str, *, channel: str, now: datetime, reason: str) -> int:
        """Deliveries of a message on a channel that have not left yet are no longer wanted
        (the calls of a page acknowledged before they rang); those in flight go on."""
        result = self._conn.execute(
            update(deliveries)
            .where(
                deliveries.c.message_id == message_id,
                deliveries.c.channel == channel,
                deliveries.c.status == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.CANCELLED, finished_at=now, last_error=reason)
        )
        return int(result.rowcount or 0)

    def set_person_outcome(self, delivery_id: str, outcome: str) -> None:
        """What the person called did, known during the call (before its result is recorded)."""
        self._conn.execute(
            update(deliveries).where(deliveries.c.id == delivery_id).values(person_outcome=outcome)
        )

    def call_outcomes(self, message_ids: Collection[str], *, channel: str) -> dict[str, int]:
        """The calls of these messages by outcome: what the person did when answered, else
        the delivery's state (no_answer: rang out, busy or failed; pending; cancelled)."""
        if not message_ids:
            return {}
        rows = self._conn.execute(
            select(deliveries.c.status, deliveries.c.person_outcome, deliveries.c.attempts).where(
                deliveries.c.message_id.in_(list(message_ids)), deliveries.c.channel == channel
            )
        )
        counts: dict[str, int] = {}
        for status, person, attempts in rows:
            if person:
                key = person
            elif status == DeliveryStatus.CANCELLED:
                key = "cancelled"
            elif status == DeliveryStatus.FAILED or attempts:
                key = "no_answer"
            else:
                key = "pending"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def confirmations(self, *, message_id: str) -> dict[str, int]:
        """Channel → deliveries of the message the person confirmed (« 1 » during a call)."""
        rows = self._conn.execute(
            select(deliveries.c.channel, func.count())
            .where(
                deliveries.c.message_id == message_id,
                deliveries.c.person_outcome == "acknowledged",
            )
            .group_by(deliveries.c.channel)
        )
        return {channel: int(number) for channel, number in rows}

    def calls_of(self, crisis_id: str, *, channel: str, limit: int) -> list[DeliveryRow]:
        """An event's calls on the channel, the most recently queued first."""
        rows = self._conn.execute(
            select(deliveries)
            .where(deliveries.c.crisis_id == crisis_id, deliveries.c.channel == channel)
            .order_by(deliveries.c.queued_at.desc(), deliveries.c.id.desc())
            .limit(limit)
        )
        return [delivery_row(r) for r in rows]

    def count_calls(self, crisis_id: str, *, channel: str) -> int:
        found = self._conn.execute(
            select(func.count()).where(
                deliveries.c.crisis_id == crisis_id, deliveries.c.channel == channel
            )
        ).scalar_one()
        return int(found)
