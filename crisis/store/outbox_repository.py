"""Messages and the delivery outbox: insert, claim for a worker, apply outcomes, report."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, bindparam, func, insert, select, tuple_, update

from channels.dispatcher import ClaimedDelivery
from crisis.clock import ensure_utc
from crisis.delivery.planning import PlannedDelivery
from crisis.domain.messages import Message, MessagePurpose, MessageTexts, MessageType
from crisis.domain.vocabulary import Audience
from crisis.store.ack_links_repository import personalise_claimed
from crisis.store.call_outcomes import CallOutcomes
from crisis.store.claimed import read_claimed
from crisis.store.delivery_rows import DeliveryRow as DeliveryRow
from crisis.store.delivery_rows import delivery_row
from crisis.store.delivery_status import DeliveryStatus as DeliveryStatus
from crisis.store.id_lists import among, per_dialect
from crisis.store.tables import (
    STILL_DUE,
    deliveries,
    delivery_attempts,
    messages,
)


class RecordedState(NamedTuple):
    """What recording an outcome reads of a delivery: whether it was accepted already, and
    when it was queued (the acceptance's latency starts there)."""

    status: str
    queued_at: datetime
    fallback_of: str | None = None  # the delivery this one stands in for, if a fallback


@dataclass(frozen=True, slots=True)
class AttemptRow:
    delivery_id: str
    attempt: int
    worker: str
    started_at: datetime
    finished_at: datetime
    outcome: str
    error: str | None
    retry_after: float | None


_ATTEMPT_FIELDS = tuple(f.name for f in dataclasses.fields(AttemptRow))


@dataclass(frozen=True, slots=True)
class Accepted:
    """A delivery that a provider accepted, as `mark_accepted` records it."""

    delivery_id: str
    provider_message_id: str | None
    accepted_at: datetime
    finished_at: datetime
    attempts: int
    person_outcome: str | None = None  # a call: what the person did


_ACCEPTED_FIELDS = tuple(f.name for f in dataclasses.fields(Accepted))


# The columns of a new delivery, in the order of the tuples `add_deliveries` builds.
_NEW_DELIVERY = (
    "id",
    "message_id",
    "crisis_id",
    "audience",
    "channel",
    "recipient_kind",
    "recipient",
    "recipient_name",
    "contact_id",
    "status",
    "attempts",
    "queued_at",
    "next_attempt_at",
    "fallback_of",
)
# From this many rows, new deliveries go through COPY on PostgreSQL (below it, an INSERT
# costs less than opening the copy).
_COPY_FROM = 200

# The dispatcher's statements are built once: building one per batch costs more than running it.
_RECORDED_STATES = per_dialect(
    lambda dialect: select(
        deliveries.c.id, deliveries.c.status, deliveries.c.queued_at, deliveries.c.fallback_of
    ).where(among(deliveries.c.id, "ids", dialect))
)
# Built once, run for a whole batch; the status guard keeps a delivery accepted once as it
# was (the caller, holding the crisis lock, has already left out those it saw accepted).
_MARK_ACCEPTED = (
    update(deliveries)
    .where(
        deliveries.c.id == bindparam("delivery_id"),
        deliveries.c.status != DeliveryStatus.ACCEPTED,
    )
    .values(
        status=DeliveryStatus.ACCEPTED,
        provider_message_id=bindparam("provider_message_id"),
        accepted_at=bindparam("accepted_at"),
        finished_at=bindparam("finished_at"),
        attempts=bindparam("attempts"),
        person_outcome=bindparam("person_outcome"),
        claimed_by=None,
        claimed_until=None,
        last_error=None,
    )
)

_CLAIM = per_dialect(
    lambda dialect: (
        update(deliveries)
        .where(among(deliveries.c.id, "ids", dialect))
        .values(
            status=DeliveryStatus.IN_FLIGHT,
            claimed_by=bindparam("worker"),
            claimed_until=bindparam("claimed_until"),
            next_attempt_at=bindparam("next_attempt_at"),
        )
    )
)


def due_ids_query(*, channels: Collection[str], now: datetime, limit: int) -> Select[Any]:
    """The ids a claim takes: one range of the partial index `ix_deliveries_still_due`.

    Pending deliveries whose attempt is due, and in-flight ones whose lease has expired
    (their next_attempt_at is the lease's end), oldest first.
    """
    names = list(channels)
    channel = deliveries.c.channel
    return (
        select(deliveries.c.id)
        .where(
            STILL_DUE,
            channel == names[0] if len(names) == 1 else channel.in_(names),
            deliveries.c.next_attempt_at <= now,
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
    )


def _message(row: Any) -> Message:
    return Message(
        id=row.id,
        crisis_id=row.crisis_id,
        purpose=MessagePurpose(row.purpose),
        msg_type=MessageType(row.msg_type),
        audiences=tuple(Audience(a) for a in row.audiences),
        lists=tuple(row.lists),
        texts=MessageTexts(variants=dict(row.texts)),
        exercise=row.exercise,
        created_by=row.created_by,
        created_at=row.created_at,
        references_id=row.references_id,
    )


class OutboxRepository(CallOutcomes):
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # -- writing -------------------------------------------------------------------------

    def add_message(self, message: Message) -> None:
        self._conn.execute(
            insert(messages).values(
                id=message.id,
                crisis_id=message.crisis_id,
                purpose=message.purpose.value,
                msg_type=message.msg_type.value,
                references_id=message.references_id,
                audiences=[a.value for a in message.audiences],
                lists=list(message.lists),
                texts=dict(message.texts.variants),
                exercise=message.exercise,
                created_by=message.created_by,
                created_at=message.created_at,
            )
        )

    def add_deliveries(
        self,
        message: Message,
        planned: Sequence[PlannedDelivery],
        *,
        ids: Sequence[str],
        now: datetime,
        fallback_of: str | None = None,
    ) -> None:
        if not planned:
            return
        stamp = ensure_utc(now)  # COPY writes instants as they are: aware, in UTC
        rows = [
            (
                delivery_id,
                message.id,
                message.crisis_id,
                p.audience,
                p.channel,
                p.recipient_kind.value,
                p.recipient,
                p.recipient_name,
                p.contact_id,
                DeliveryStatus.PENDING,
                0,
                stamp,
                stamp + p.delay,
                fallback_of,
            )
            for delivery_id, p in zip(ids, planned, strict=True)
        ]
        if self._conn.dialect.name == "postgresql" and len(rows) >= _COPY_FROM:
            self._copy_deliveries(rows)
        else:
            self._conn.execute(
                insert(deliveries), [dict(zip(_NEW_DELIVERY, row, strict=True)) for row in rows]
            )

    def _copy_deliveries(self, rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL's COPY, in the current transaction: a fan-out to 100,000 élus is written
        several times faster than by INSERT, with a fraction of the CPU."""
        columns = ", ".join(_NEW_DELIVERY)
        driver = self._conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY deliveries ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def mark_accepted(self, accepted: Sequence[Accepted]) -> None:
        """Record deliveries the providers accepted, in one statement. The caller decided
        that each one is not accepted yet: a delivery already accepted is left as it was."""
        if accepted:
            # Not `dataclasses.asdict`: it deep-copies every instant, once per delivery.
            self._conn.execute(
                _MARK_ACCEPTED, [{f: getattr(a, f) for f in _ACCEPTED_FIELDS} for a in accepted]
            )

    def mark_retry(
        self, delivery_id: str, *, attempts: int, next_attempt_at: datetime, error: str
    ) -> bool:
        result = self._conn.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.status == DeliveryStatus.IN_FLIGHT)
            .values(
                status=DeliveryStatus.PENDING,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_error=error,
                claimed_by=None,
                claimed_until=None,
            )
        )
        return result.rowcount == 1

    def mark_finished(
        self, delivery_id: str, *, status: str, attempts: int, error: str, finished_at: datetime
    ) -> bool:
        result = self._conn.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.status == DeliveryStatus.IN_FLIGHT)
            .values(
                status=status,
                attempts=attempts,
                last_error=error,
                finished_at=finished_at,
                claimed_by=None,
                claimed_until=None,
            )
        )
        return result.rowcount == 1

    def add_attempts(self, attempts: Sequence[AttemptRow]) -> None:
        """Record a batch of attempts in one statement."""
        if attempts:
            self._conn.execute(
                insert(delivery_attempts),
                [{f: getattr(a, f) for f in _ATTEMPT_FIELDS} for a in attempts],
            )

    def requeue(self, delivery_id: str, *, now: datetime) -> bool:
        """A failed delivery, tried again by hand."""
        result = self._conn.execute(
            update(deliveries)
            .where(
                deliveries.c.id == delivery_id,
                deliveries.c.status.in_([DeliveryStatus.FAILED, DeliveryStatus.REFUSED]),
            )
            .values(
                status=DeliveryStatus.PENDING, next_attempt_at=now, queued_at=now, finished_at=None
            )
        )
        return result.rowcount == 1

    # -- the dispatcher's side -------------------------------------------------------------

    def claim(
        self, *, worker: str, channels: Collection[str], now: datetime, limit: int, lease: timedelta
    ) -> list[ClaimedDelivery]:
        ids_query = due_ids_query(channels=channels, now=now, limit=limit)
        if self._conn.dialect.name == "postgresql":
            # Several workers share the outbox: each skips the rows another has locked.
            ids_query = ids_query.with_for_update(skip_locked=True)
        ids = list(self._conn.scalars(ids_query))
        if not ids:
            return []
        until = now + lease
        self._conn.execute(
            _CLAIM[self._conn.dialect.name],
            {"ids": ids, "worker": worker, "claimed_until": until, "next_attempt_at": until},
        )
        return personalise_claimed(self._conn, read_claimed(self._conn, ids), now=now)

    def any_due(self, *, channels: Collection[str], now: datetime) -> bool:
        """Whether a claim would find something (a read: no lock, nothing to commit)."""
        return self._conn.scalar(due_ids_query(channels=channels, now=now, limit=1)) is not None

    def release(self, *, worker: str) -> int:
        result = self._conn.execute(
            update(deliveries)
            .where(
                deliveries.c.status == DeliveryStatus.IN_FLIGHT, deliveries.c.claimed_by == worker
            )
            # Due at once: queued_at is never later than the instant it was first due.
            .values(
                status=DeliveryStatus.PENDING,
                claimed_by=None,
                claimed_until=None,
                next_attempt_at=deliveries.c.queued_at,
            )
        )
        return int(result.rowcount)

    # -- reading ---------------------------------------------------------------------------

    def message(self, message_id: str) -> Message | None:
        row = self._conn.execute(select(messages).where(messages.c.id == message_id)).first()
        return None if row is None else _message(row)

    def messages_of(self, crisis_id: str) -> list[Message]:
        rows = self._conn.execute(
            select(messages)
            .where(messages.c.crisis_id == crisis_id)
            .order_by(messages.c.created_at)
        )
        return [_message(r) for r in rows]

    def delivery(self, delivery_id: str) -> DeliveryRow | None:
        row = self._conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
        return None if row is None else delivery_row(row)

    def recorded_states(self, delivery_ids: Collection[str]) -> dict[str, RecordedState]:
        """The status and queueing instant of each delivery, by id (two columns, not whole
        rows: a batch's outcomes are recorded for every hundred deliveries sent)."""
        found: dict[str, RecordedState] = {}
        ids = list(delivery_ids)
        for start in range(0, len(ids), 500):  # stay well under any bound-parameter limit
            chunk = ids[start : start + 500]
            rows = self._conn.execute(_RECORDED_STATES[self._conn.dialect.name], {"ids": chunk})
            found.update((row[0], RecordedState(row[1], row[2], row[3])) for row in rows)
        return found

    def deliveries_of(
        self, *, message_id: str | None = None, crisis_id: str | None = None
    ) -> list[DeliveryRow]:
        query = select(deliveries).order_by(
            deliveries.c.queued_at, deliveries.c.channel, deliveries.c.id
        )
        if message_id is not None:
            query = query.where(deliveries.c.message_id == message_id)
        if crisis_id is not None:
            query = query.where(deliveries.c.crisis_id == crisis_id)
        return [delivery_row(r) for r in self._conn.execute(query)]

    def deliveries_page(
        self, *, message_id: str, after: str | None, limit: int
    ) -> list[DeliveryRow] | None:
        """Up to `limit` deliveries of a message, by channel then id, after the delivery
        `after` (keyset paging: each page is one index range, however deep). None when `after`
        is not a delivery of this message."""
        query = select(deliveries).where(deliveries.c.message_id == message_id)
        if after is not None:
            cursor = self._conn.execute(
                select(deliveries.c.channel).where(
                    deliveries.c.id == after, deliveries.c.message_id == message_id
                )
            ).first()
            if cursor is None:
                return None
            query = query.where(
                tuple_(deliveries.c.channel, deliveries.c.id) > tuple_(cursor.channel, after)
            )
        query = query.order_by(deliveries.c.channel, deliveries.c.id).limit(limit)
        return [delivery_row(r) for r in self._conn.execute(query)]

    def troubled(self, *, message_id: str, limit: int) -> list[DeliveryRow]:
        """Up to `limit` deliveries of a message that failed, were refused, wait for a
        retry or did not reach the handset, oldest first: what the event page shows, chosen
        by the database."""
        status = deliveries.c.status
        query = (
            select(deliveries)
            .where(
                deliveries.c.message_id == message_id,
                status.in_([DeliveryStatus.FAILED, DeliveryStatus.REFUSED])
                | ((status == DeliveryStatus.PENDING) & (deliveries.c.attempts > 0))
                | (deliveries.c.handset_status == "undelivered"),
            )
            .order_by(deliveries.c.queued_at, deliveries.c.channel, deliveries.c.id)
            .limit(limit)
        )
        return [delivery_row(r) for r in self._conn.execute(query)]

    def counts(self, *, message_id: str) -> dict[tuple[str, str], int]:
        """(channel, status) → number of deliveries."""
        rows = self._conn.execute(
            select(deliveries.c.channel, deliveries.c.status, func.count())
            .where(deliveries.c.message_id == message_id)
            .group_by(deliveries.c.channel, deliveries.c.status)
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def pending_count(self) -> int:
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(deliveries)
                .where(deliveries.c.status.in_([DeliveryStatus.PENDING, DeliveryStatus.IN_FLIGHT]))
            ).scalar_one()
        )
