"""Read-only figures for the metrics: what the outbox holds and where the clocks stand."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select

from crisis.domain.vocabulary import CrisisState
from crisis.store.outbox_repository import DeliveryStatus
from crisis.store.tables import clock_alerts, clocks, crises, deliveries, fanouts


@dataclass(frozen=True, slots=True)
class ChannelBacklog:
    channel: str
    due: int
    oldest_queued_at: datetime | None


class GaugeRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def outbox_backlog(self, *, now: datetime) -> list[ChannelBacklog]:
        """Per channel: deliveries due now (or whose claim expired) and the oldest one's age."""
        due = or_(
            and_(
                deliveries.c.status == DeliveryStatus.PENDING, deliveries.c.next_attempt_at <= now
            ),
            and_(deliveries.c.status == DeliveryStatus.IN_FLIGHT, deliveries.c.claimed_until < now),
        )
        rows = self._conn.execute(
            select(deliveries.c.channel, func.count(), func.min(deliveries.c.queued_at))
            .where(due)
            .group_by(deliveries.c.channel)
        )
        return [ChannelBacklog(r[0], int(r[1]), r[2]) for r in rows]

    def unfinished_fanouts(self) -> tuple[int, datetime | None]:
        """Large fan-outs still being written in the background, and when the oldest was sent."""
        row = self._conn.execute(
            select(func.count(), func.min(fanouts.c.accepted_at)).where(
                fanouts.c.finished_at.is_(None)
            )
        ).one()
        return int(row[0]), row[1]

    def clock_states(self) -> Counter[str]:
        """Clocks of the crises whose COD is active, by state (running, met, breached)."""
        breached = {
            (row.crisis_id, row.clock)
            for row in self._conn.execute(
                select(clock_alerts.c.crisis_id, clock_alerts.c.clock).where(
                    clock_alerts.c.kind == "breach"
                )
            )
        }
        rows = self._conn.execute(
            select(clocks.c.crisis_id, clocks.c.name, clocks.c.deadline, clocks.c.met_at)
            .join(crises, crises.c.id == clocks.c.crisis_id)
            .where(crises.c.state == CrisisState.COD_ACTIVE.value)
        )
        states: Counter[str] = Counter()
        for row in rows:
            if row.met_at is not None:
                states["met" if row.met_at <= row.deadline else "breached"] += 1
            else:
                states["breached" if (row.crisis_id, row.name) in breached else "running"] += 1
        return states
