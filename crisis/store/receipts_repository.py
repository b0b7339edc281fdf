"""SMS parts and their receipts: which delivery an operator's message id belongs to, what its
receipt said, and the receipts still waiting for their part."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, text, update

from channels.contract import HandsetReceipt
from crisis.handset_times import median_and_worst
from crisis.store.tables import deliveries, delivery_parts, messages, waiting_receipts

DELIVERED = "delivered"
UNDELIVERED = "undelivered"
_CHUNK = 400  # (route, id) pairs per statement: two bound parameters each


@dataclass(frozen=True, slots=True)
class PartRow:
    route: str
    provider_message_id: str
    delivery_id: str
    part: int
    parts: int
    state: str | None
    received_at: datetime | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class HandsetOutcome:
    """What the receipts recorded so far say of one delivery; None while parts are pending."""

    delivery_id: str
    status: str  # DELIVERED or UNDELIVERED
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class DeliveryFacts:
    """What journalling a delivery's handset outcome needs to know of it."""

    crisis_id: str
    message_id: str
    channel: str
    audience: str
    purpose: str  # its message's


@dataclass(frozen=True, slots=True)
class HandsetFigures:
    """For one message, audience and channel whose SMS send receipts: how far they went."""

    audience: str
    channel: str
    sent: int
    accepted: int
    delivered: int
    undelivered: int
    median_seconds: float | None  # from queueing to the handset, nearest rank
    worst_seconds: float | None


def route_of(channel: str, *, exercise: bool) -> str:
    """Where a provider's ids are unique: a channel's production or exercise bind."""
    return f"{channel}/exercice" if exercise else channel


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[start : start + _CHUNK]) for start in range(0, len(ids), _CHUNK)]


class ReceiptsRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def lock(self) -> None:
        """Until commit, this transaction alone matches receipts and parts.

        Recording parts and recording receipts each look for the other: two transactions at
        once on PostgreSQL would each miss what the other has not committed yet, and a
        receipt would wait for a part already there. (SQLite runs one writer at a time.)
        Taken before any crisis is locked, by both, so that they cannot deadlock.
        """
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(
                text(
                    "SELECT pg_advisory_xact_lock(hashtext('crisis-receipts:' || current_schema()))"
                )
            )

    def add_parts(self, route: str, accepted: Sequence[tuple[str, Sequence[str]]]) -> None:
        """The parts of accepted deliveries, (delivery id, its parts' ids in order) each; an
        id already known (a delivery sent twice) is left as it is."""
        known = set(self._known(route, [pid for _, ids in accepted for pid in ids]))
        rows = [
            {
                "route": route,
                "provider_message_id": provider_id,
                "delivery_id": delivery_id,
                "part": number,
                "parts": len(provider_ids),
            }
            for delivery_id, provider_ids in accepted
            for number, provider_id in enumerate(provider_ids, start=1)
            if provider_id and provider_id not in known
        ]
        if rows:
            self._conn.execute(insert(delivery_parts), rows)

    def _known(self, route: str, provider_ids: Sequence[str]) -> list[str]:
        found: list[str] = []
        for chunk in _chunks(list(provider_ids)):
            found.extend(
                self._conn.scalars(
                    select(delivery_parts.c.provider_message_id).where(
                        delivery_parts.c.route == route,
                        delivery_parts.c.provider_message_id.in_(chunk),
                    )
                )
            )
        return found

    def parts(self, route: str, provider_ids: Collection[str]) -> dict[str, PartRow]:
        """The known parts among these ids, by id."""
        found: dict[str, PartRow] = {}
        for chunk in _chunks(sorted(provider_ids)):
            rows = self._conn.execute(
                select(delivery_parts).where(
                    delivery_parts.c.route == route,
                    delivery_parts.c.provider_message_id.in_(chunk),
                )
            )
            found.update((row.provider_message_id, PartRow(**row._mapping)) for row in rows)
        return found

    def record_part(self, part: PartRow, receipt: HandsetReceipt) -> bool:
        """The part's receipt, unless it has one already (then False: a duplicate)."""
        result = self._conn.execute(
            update(delivery_parts)
            .where(
                delivery_parts.c.route == part.route,
                delivery_parts.c.provider_message_id == part.provider_message_id,
                delivery_parts.c.state.is_(None),
            )
            .values(state=receipt.state, received_at=receipt.received_at, reason=receipt.reason)
        )
        return result.rowcount == 1

    def outcomes(self, delivery_ids: Collection[str]) -> dict[str, HandsetOutcome]:
        """Each delivery whose parts now say something final: undelivered as soon as one
        part is, delivered once every part is (at its last part's receipt)."""
        by_delivery: dict[str, list[PartRow]] = {}
        ids = sorted(delivery_ids)
        for start in range(0, len(ids), _CHUNK):
            rows = self._conn.execute(
                select(delivery_parts).where(
                    delivery_parts.c.delivery_id.in_(ids[start : start + _CHUNK])
                )
            )
            for row in rows:
                by_delivery.setdefault(row.delivery_id, []).append(PartRow(**row._mapping))
        outcomes: dict[str, HandsetOutcome] = {}
        for delivery_id, parts in by_delivery.items():
            failed = [p for p in parts if p.state is not None and p.state != "DELIVRD"]
            if failed:
                first = min(failed, key=lambda p: (p.received_at, p.part))
                assert first.received_at is not None
                outcomes[delivery_id] = HandsetOutcome(
                    delivery_id, UNDELIVERED, first.received_at, first.reason or ""
                )
            elif len(parts) == parts[0].parts and all(p.state == "DELIVRD" for p in parts):
                last = max(p.received_at for p in parts if p.received_at is not None)
                outcomes[delivery_id] = HandsetOutcome(
                    delivery_id, DELIVERED, last, "remis au téléphone"
                )
        return outcomes

    def delivery_facts(self, delivery_ids: Collection[str]) -> dict[str, DeliveryFacts]:
        ids = sorted(delivery_ids)
        facts: dict[str, DeliveryFacts] = {}
        for chunk in _chunks(ids):
            rows = self._conn.execute(
                select(
                    deliveries.c.id,
                    deliveries.c.crisis_id,
                    deliveries.c.message_id,
                    deliveries.c.channel,
                    deliveries.c.audience,
                    messages.c.purpose,
                )
                .join(messages, messages.c.id == deliveries.c.message_id)
                .where(deliveries.c.id.in_(chunk))
            )
            for row in rows:
                facts[row.id] = DeliveryFacts(
                    row.crisis_id, row.message_id, row.channel, row.audience, row.purpose
                )
        return facts

    def handset_figures(self, *, message_id: str) -> list[HandsetFigures]:
        """Per audience and channel of a message that has SMS parts on record."""
        tracked: set[tuple[str, str]] = {
            (audience, channel)
            for audience, channel in self._conn.execute(
                select(deliveries.c.audience, deliveries.c.channel)
                .join(delivery_parts, delivery_parts.c.delivery_id == deliveries.c.id)
                .where(deliveries.c.message_id == message_id)
                .distinct()
            )
        }
        if not tracked:
            return []
        counts: dict[tuple[str, str], dict[str, int]] = {}
        rows = self._conn.execute(
            select(
                deliveries.c.audience,
                deliveries.c.channel,
                deliveries.c.status,
                deliveries.c.handset_status,
                func.count(),
            )
            .where(deliveries.c.message_id == message_id)
            .group_by(
                deliveries.c.audience,
                deliveries.c.channel,
                deliveries.c.status,
                deliveries.c.handset_status,
            )
        )
        for audience, channel, status, handset, number in rows:
            group = counts.setdefault((audience, channel), {})
            group["sent"] = group.get("sent", 0) + number
            if status == "accepted":
                group["accepted"] = group.get("accepted", 0) + number
            if handset is not None:
                group[handset] = group.get(handset, 0) + number
        seconds: dict[tuple[str, str], list[float]] = {}
        reached = self._conn.execute(
            select(
                deliveries.c.audience,
                deliveries.c.channel,
                deliveries.c.queued_at,
                deliveries.c.handset_at,
            ).where(
                deliveries.c.message_id == message_id,
                deliveries.c.handset_status == DELIVERED,
            )
        )
        for audience, channel, queued_at, handset_at in reached:
            seconds.setdefault((audience, channel), []).append(
                (handset_at - queued_at).total_seconds()
            )
        figures = []
        for key in sorted(tracked):
            group = counts.get(key, {})
            median, worst = median_and_worst(seconds.get(key, []))
            figures.append(
                HandsetFigures(
                    audience=key[0],
                    channel=key[1],
                    sent=group.get("sent", 0),
                    accepted=group.get("accepted", 0),
                    delivered=group.get(DELIVERED, 0),
                    undelivered=group.get(UNDELIVERED, 0),
                    median_seconds=median,
                    worst_seconds=worst,
                )
            )
        return figures

    def set_handset(self, outcome: HandsetOutcome) -> bool:
        """Record a delivery's handset outcome once: the first final word stays."""
        result = self._conn.execute(
            update(deliveries)
            .where(deliveries.c.id == outcome.delivery_id, deliveries.c.handset_status.is_(None))
            .values(
                handset_status=outcome.status,
                handset_at=outcome.at,
                handset_reason=outcome.reason,
            )
        )
        return result.rowcount == 1

    # -- receipts that came before their part ---------------------------------------------

    def wait(self, route: str, receipt: HandsetReceipt) -> bool:
        """Keep a receipt for later; False when one for the same id waits already."""
        exists = self._conn.execute(
            select(waiting_receipts.c.route).where(
                waiting_receipts.c.route == route,
                waiting_receipts.c.provider_message_id == receipt.provider_message_id,
            )
        ).first()
        if exists is not None:
            return False
        self._conn.execute(
            insert(waiting_receipts).values(
                route=route,
                provider_message_id=receipt.provider_message_id,
                delivered=receipt.delivered,
                state=receipt.state,
                reason=receipt.reason,
                error_code=receipt.error_code,
                received_at=receipt.received_at,
            )
        )
        return True

    def take_waiting(self, route: str, provider_ids: Collection[str]) -> list[HandsetReceipt]:
        """The receipts waiting for these ids, removed from the waiting list."""
        taken: list[HandsetReceipt] = []
        for chunk in _chunks(sorted(provider_ids)):
            match = (waiting_receipts.c.route == route) & (
                waiting_receipts.c.provider_message_id.in_(chunk)
            )
            rows = self._conn.execute(select(waiting_receipts).where(match)).all()
            if not rows:
                continue
            self._conn.execute(delete(waiting_receipts).where(match))
            taken.extend(
                HandsetReceipt(
                    channel=route.split("/")[0],
                    provider_message_id=row.provider_message_id,
                    delivered=row.delivered,
                    state=row.state,
                    reason=row.reason,
                    received_at=row.received_at,
                    error_code=row.error_code,
                )
                for row in rows
            )
        return taken

    def drop_waiting_before(self, instant: datetime) -> int:
        """Forget receipts that waited since before `instant`: no part will claim them."""
        result = self._conn.execute(
            delete(waiting_receipts).where(waiting_receipts.c.received_at < instant)
        )
        return int(result.rowcount)
