"""Channel health rows, and the outbox questions an outage asks (what waits, what failed)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import aliased

from crisis.store.tables import channel_health, deliveries, messages

_WAITING = ("pending", "in_flight")
_HEALTH_FIELDS = (
    "consecutive_failures",
    "failing_since",
    "down_since",
    "last_accepted_at",
    "gave_up_alerted",
)
# Built once: every batch of delivery outcomes saves its channel's health.
_SAVE = (
    update(channel_health)
    .where(
        channel_health.c.channel == bindparam("key_channel"),
        channel_health.c.exercise == bindparam("key_exercise"),
    )
    .values({name: bindparam(name) for name in _HEALTH_FIELDS})
)


@dataclass(slots=True)
class ChannelHealth:
    channel: str
    exercise: bool
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    down_since: datetime | None = None
    last_accepted_at: datetime | None = None
    gave_up_alerted: list[str] = field(default_factory=list)


class ChannelHealthRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def get(self, channel: str, *, exercise: bool) -> ChannelHealth:
        """The row, locked for this transaction (PostgreSQL); a fresh state when none yet."""
        query = (
            select(channel_health)
            .where(channel_health.c.channel == channel, channel_health.c.exercise == exercise)
            .with_for_update()
        )
        row = self._conn.execute(query).first()
        if row is None:
            return ChannelHealth(channel=channel, exercise=exercise)
        return ChannelHealth(
            channel=row.channel,
            exercise=row.exercise,
            consecutive_failures=row.consecutive_failures,
            failing_since=row.failing_since,
            down_since=row.down_since,
            last_accepted_at=row.last_accepted_at,
            gave_up_alerted=list(row.gave_up_alerted),
        )

    def save(self, health: ChannelHealth) -> None:
        values = {
            "consecutive_failures": health.consecutive_failures,
            "failing_since": health.failing_since,
            "down_since": health.down_since,
            "last_accepted_at": health.last_accepted_at,
            "gave_up_alerted": health.gave_up_alerted,
        }
        key = {"key_channel": health.channel, "key_exercise": health.exercise}
        if self._conn.execute(_SAVE, {**key, **values}).rowcount == 0:
            # A concurrent first insert fails on the key: the bus runs the batch again.
            self._conn.execute(
                insert(channel_health).values(
                    channel=health.channel, exercise=health.exercise, **values
                )
            )

    def down_channels(self) -> list[ChannelHealth]:
        rows = self._conn.execute(
            select(channel_health.c.channel, channel_health.c.exercise).where(
                channel_health.c.down_since.is_not(None)
            )
        )
        return [self.get(r.channel, exercise=r.exercise) for r in rows]

    def waiting_count(self, channel: str, *, exercise: bool) -> int:
        query = (
            select(func.count())
            .select_from(deliveries.join(messages, deliveries.c.message_id == messages.c.id))
            .where(
                deliveries.c.channel == channel,
                messages.c.exercise == exercise,
                deliveries.c.status.in_(_WAITING),
            )
        )
        return int(self._conn.execute(query).scalar_one())

    def release_waiting(self, channel: str, *, exercise: bool, now: datetime) -> int:
        """The channel is back: every delivery waiting out its backoff on it is due now (the
        dispatcher's pace for the channel still spaces them). Returns how many were held."""
        result = self._conn.execute(
            update(deliveries)
            .where(
                deliveries.c.channel == channel,
                deliveries.c.status == "pending",
                deliveries.c.next_attempt_at > now,
                deliveries.c.message_id.in_(
                    select(messages.c.id).where(messages.c.exercise == exercise)
                ),
            )
            .values(next_attempt_at=now)
        )
        return int(result.rowcount)

    def waiting_without_fallback(self, channel: str, *, exercise: bool) -> list[str]:
        """Ids of deliveries waiting on the channel, to a contact, with no fallback yet."""
        fallback = aliased(deliveries)
        query = (
            select(deliveries.c.id)
            .select_from(deliveries.join(messages, deliveries.c.message_id == messages.c.id))
            .where(
                deliveries.c.channel == channel,
                messages.c.exercise == exercise,
                deliveries.c.status.in_(_WAITING),
                deliveries.c.contact_id.is_not(None),
                ~exists().where(fallback.c.fallback_of == deliveries.c.id),
            )
            .order_by(deliveries.c.queued_at, deliveries.c.id)
        )
        return [r.id for r in self._conn.execute(query)]

    def fallback_of(self, delivery_ids: Collection[str]) -> dict[str, str]:
        """Original delivery id → its fallback's id, for those that have one."""
        if not delivery_ids:
            return {}
        rows = self._conn.execute(
            select(deliveries.c.fallback_of, deliveries.c.id).where(
                deliveries.c.fallback_of.in_(list(delivery_ids))
            )
        )
        return {r.fallback_of: r.id for r in rows}

    def given_up_count(
        self, *, crisis_id: str, channel: str, since: datetime | None, before: datetime
    ) -> int:
        """Deliveries of the crisis on the channel that failed for good since `since`, plus
        those still waiting that were queued before `before` (they give up next)."""
        failed = [
            deliveries.c.crisis_id == crisis_id,
            deliveries.c.channel == channel,
            deliveries.c.status == "failed",
        ]
        if since is not None:
            failed.append(deliveries.c.finished_at >= since)
        count_failed = self._conn.execute(
            select(func.count()).select_from(deliveries).where(*failed)
        ).scalar_one()
        count_waiting = self._conn.execute(
            select(func.count())
            .select_from(deliveries)
            .where(
                deliveries.c.crisis_id == crisis_id,
                deliveries.c.channel == channel,
                deliveries.c.status.in_(_WAITING),
                deliveries.c.queued_at <= before,
            )
        ).scalar_one()
        return int(count_failed) + int(count_waiting)
