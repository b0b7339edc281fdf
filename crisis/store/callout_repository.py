"""Callouts in the store: their rounds, pages, acknowledgements and the rota's handovers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from crisis.domain.oncall import CellRole, Team
from crisis.store.tables import (
    callout_pages,
    callout_rounds,
    callouts,
    oncall_handovers,
)


@dataclass(frozen=True, slots=True)
class Callout:
    id: str
    crisis_id: str
    team: Team
    started_at: datetime
    started_by: str
    reason: str
    quorum: tuple[CellRole, ...]
    ack_minutes: int
    escalations: int
    quorum_reached_at: datetime | None


@dataclass(frozen=True, slots=True)
class Round:
    callout_id: str
    role: CellRole
    round: int
    kind: str  # page, officer
    started_at: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    callout_id: str
    crisis_id: str
    role: CellRole
    round: int
    member_id: str
    message_id: str | None
    paged_at: datetime
    acknowledged_at: datetime | None
    ack_via: str | None
    link_expires_at: datetime | None = None  # None: paged without a link


def _callout(row: Any) -> Callout:
    return Callout(
        id=row.id,
        crisis_id=row.crisis_id,
        team=Team(row.team),
        started_at=row.started_at,
        started_by=row.started_by,
        reason=row.reason,
        quorum=tuple(CellRole(r) for r in row.quorum),
        ack_minutes=row.ack_minutes,
        escalations=row.escalations,
        quorum_reached_at=row.quorum_reached_at,
    )


def _page(row: Any) -> Page:
    return Page(
        id=row.id,
        callout_id=row.callout_id,
        crisis_id=row.crisis_id,
        role=CellRole(row.role),
        round=row.round,
        member_id=row.member_id,
        message_id=row.message_id,
        paged_at=row.paged_at,
        acknowledged_at=row.acknowledged_at,
        ack_via=row.ack_via,
        link_expires_at=row.link_expires_at,
    )


class CalloutRepository:
    """Mixed into `OncallRepository`, which holds the connection."""

    _conn: Connection

    # -- callouts --------------------------------------------------------------------------

    def add_callout(self, callout: Callout) -> None:
        self._conn.execute(
            insert(callouts).values(
                id=callout.id,
                crisis_id=callout.crisis_id,
                team=callout.team.value,
                started_at=callout.started_at,
                started_by=callout.started_by,
                reason=callout.reason,
                quorum=[r.value for r in callout.quorum],
                ack_minutes=callout.ack_minutes,
                escalations=callout.escalations,
            )
        )

    def callout(self, callout_id: str) -> Callout | None:
        row = self._conn.execute(select(callouts).where(callouts.c.id == callout_id)).first()
        return None if row is None else _callout(row)

    def callout_of(self, crisis_id: str, team: Team) -> Callout | None:
        row = self._conn.execute(
            select(callouts).where(callouts.c.crisis_id == crisis_id, callouts.c.team == team.value)
        ).first()
        return None if row is None else _callout(row)

    def callouts_of(self, crisis_id: str) -> list[Callout]:
        rows = self._conn.execute(
            select(callouts)
            .where(callouts.c.crisis_id == crisis_id)
            .order_by(callouts.c.started_at)
        )
        return [_callout(r) for r in rows]

    def mark_quorum_reached(self, callout_id: str, at: datetime) -> bool:
        result = self._conn.execute(
            update(callouts)
            .where(callouts.c.id == callout_id, callouts.c.quorum_reached_at.is_(None))
            .values(quorum_reached_at=at)
        )
        return result.rowcount == 1

    def add_round(self, item: Round) -> None:
        """Raises IntegrityError when the round exists already: the bus runs the command again."""
        self._conn.execute(
            insert(callout_rounds).values(
                callout_id=item.callout_id,
                role=item.role.value,
                round=item.round,
                kind=item.kind,
                started_at=item.started_at,
                due_at=item.due_at,
            )
        )

    def bring_round_forward(self, callout_id: str, role: CellRole, now: datetime) -> bool:
        """The role's latest page round is over now (a page declined on the phone)."""
        latest = (
            select(func.max(callout_rounds.c.round))
            .where(callout_rounds.c.callout_id == callout_id, callout_rounds.c.role == role.value)
            .scalar_subquery()
        )
        result = self._conn.execute(
            update(callout_rounds)
            .where(
                callout_rounds.c.callout_id == callout_id,
                callout_rounds.c.role == role.value,
                callout_rounds.c.kind == "page",
                callout_rounds.c.round == latest,
                callout_rounds.c.due_at > now,
            )
            .values(due_at=now)
        )
        return result.rowcount == 1

    def rounds(self, callout_id: str) -> list[Round]:
        rows = self._conn.execute(
            select(callout_rounds)
            .where(callout_rounds.c.callout_id == callout_id)
            .order_by(callout_rounds.c.role, callout_rounds.c.round)
        )
        return [
            Round(r.callout_id, CellRole(r.role), r.round, r.kind, r.started_at, r.due_at)
            for r in rows
        ]

    def due_rounds(self, now: datetime, crisis_id: str | None = None) -> list[Round]:
        """The last page round of each role whose acknowledgement time is over, unanswered."""
        later = callout_rounds.alias("later")
        acked = callout_pages.alias("acked")
        query = (
            select(callout_rounds)
            .join(callouts, callouts.c.id == callout_rounds.c.callout_id)
            .where(
                callout_rounds.c.kind == "page",
                callout_rounds.c.due_at <= now,
                ~select(later.c.round)
                .where(
                    later.c.callout_id == callout_rounds.c.callout_id,
                    later.c.role == callout_rounds.c.role,
                    later.c.round > callout_rounds.c.round,
                )
                .exists(),
                ~select(acked.c.id)
                .where(
                    acked.c.callout_id == callout_rounds.c.callout_id,
                    acked.c.role == callout_rounds.c.role,
                    acked.c.acknowledged_at.is_not(None),
                )
                .exists(),
            )
            .order_by(callout_rounds.c.due_at, callout_rounds.c.callout_id, callout_rounds.c.role)
        )
        if crisis_id is not None:
            query = query.where(callouts.c.crisis_id == crisis_id)
        return [
            Round(r.callout_id, CellRole(r.role), r.round, r.kind, r.started_at, r.due_at)
            for r in self._conn.execute(query)
        ]

    def next_due_instants(self) -> list[tuple[str, datetime]]:
        """(crisis_id, due_at) of each pending round, for the scheduler."""
        rows = self._conn.execute(
            select(callouts.c.crisis_id, callout_rounds.c.due_at)
            .join(callouts, callouts.c.id == callout_rounds.c.callout_id)
            .where(callout_rounds.c.kind == "page")
        )
        return [(r.crisis_id, r.due_at) for r in rows]

    def crises_with_callouts(self) -> list[str]:
        return sorted(set(self._conn.scalars(select(callouts.c.crisis_id))))

    # -- pages -----------------------------------------------------------------------------

    def add_page(self, page: Page) -> None:
        self._conn.execute(
            insert(callout_pages).values(
                id=page.id,
                callout_id=page.callout_id,
                crisis_id=page.crisis_id,
                role=page.role.value,
                round=page.round,
                member_id=page.member_id,
                message_id=page.message_id,
                paged_at=page.paged_at,
                link_expires_at=page.link_expires_at,
            )
        )

    def page(self, page_id: str) -> Page | None:
        row = self._conn.execute(select(callout_pages).where(callout_pages.c.id == page_id)).first()
        return None if row is None else _page(row)

    def page_by_message(self, message_id: str) -> Page | None:
        row = self._conn.execute(
            select(callout_pages).where(callout_pages.c.message_id == message_id)
        ).first()
        return None if row is None else _page(row)

    def pages_of(self, callout_id: str) -> list[Page]:
        rows = self._conn.execute(
            select(callout_pages)
            .where(callout_pages.c.callout_id == callout_id)
            .order_by(callout_pages.c.paged_at, callout_pages.c.role, callout_pages.c.id)
        )
        return [_page(r) for r in rows]

    def pending_pages(self, *, member_id: str, crisis_id: str | None = None) -> list[Page]:
        query = (
            select(callout_pages)
            .join(callouts, callouts.c.id == callout_pages.c.callout_id)
            .where(
                callout_pages.c.member_id == member_id,
                callout_pages.c.acknowledged_at.is_(None),
            )
            .order_by(callout_pages.c.paged_at, callout_pages.c.id)
        )
        if crisis_id is not None:
            query = query.where(callout_pages.c.crisis_id == crisis_id)
        return [_page(r) for r in self._conn.execute(query)]

    def acknowledge(self, page_id: str, *, at: datetime, via: str) -> bool:
        result = self._conn.execute(
            update(callout_pages)
            .where(callout_pages.c.id == page_id, callout_pages.c.acknowledged_at.is_(None))
            .values(acknowledged_at=at, ack_via=via)
        )
        return result.rowcount == 1

    def role_acknowledged_instants(self, callout_id: str) -> dict[CellRole, datetime]:
        found: dict[CellRole, datetime] = {}
        for page in self.pages_of(callout_id):
            if page.acknowledged_at is None:
                continue
            current = found.get(page.role)
            if current is None or page.acknowledged_at < current:
                found[page.role] = page.acknowledged_at
        return found

    # -- handovers -------------------------------------------------------------------------

    def handover_recorded(self, crisis_id: str, role: CellRole, at: datetime) -> bool:
        row = self._conn.execute(
            select(oncall_handovers.c.at).where(
                and_(
                    oncall_handovers.c.crisis_id == crisis_id,
                    oncall_handovers.c.role == role.value,
                    oncall_handovers.c.at == at,
                )
            )
        ).first()
        return row is not None

    def add_handover(self, crisis_id: str, role: CellRole, at: datetime) -> None:
        self._conn.execute(
            insert(oncall_handovers).values(crisis_id=crisis_id, role=role.value, at=at)
        )
