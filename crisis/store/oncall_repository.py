"""The roster, the callouts with their rounds and pages, the CIP activations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from crisis.domain.oncall import CellRole, Member, Shift, Team
from crisis.domain.vocabulary import CrisisState
from crisis.store.tables import (
    callout_pages,
    callout_rounds,
    callouts,
    cip_activations,
    contacts,
    crises,
    oncall_bind_codes,
    oncall_handovers,
    oncall_members,
    oncall_shifts,
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


@dataclass(frozen=True, slots=True)
class BindCode:
    code_hash: str
    member_id: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class CipActivation:
    crisis_id: str
    numero_unique: str
    ordered_at: datetime
    ordered_by: str
    operational_at: datetime | None
    deactivated_at: datetime | None
    deactivated_by: str | None
    deactivation_reason: str | None


def _member(row: Any) -> Member:
    return Member(
        id=row.id,
        key=row.key,
        name=row.name,
        contact_id=row.contact_id,
        email=row.email,
        mobile=row.mobile,
        telegram_chat_id=row.telegram_chat_id,
    )


def _shift(row: Any) -> Shift:
    return Shift(
        id=row.id,
        member_id=row.member_id,
        role=CellRole(row.role),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


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
    )


class OncallRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # -- members ---------------------------------------------------------------------------

    def member(self, member_id: str) -> Member | None:
        row = self._conn.execute(
            select(oncall_members).where(oncall_members.c.id == member_id)
        ).first()
        return None if row is None else _member(row)

    def member_by_key(self, key: str) -> Member | None:
        row = self._conn.execute(select(oncall_members).where(oncall_members.c.key == key)).first()
        return None if row is None else _member(row)

    def member_by_chat(self, chat_id: str) -> Member | None:
        row = self._conn.execute(
            select(oncall_members)
            .where(oncall_members.c.telegram_chat_id == chat_id)
            .order_by(oncall_members.c.id)
        ).first()
        return None if row is None else _member(row)

    def members(self) -> list[Member]:
        rows = self._conn.execute(select(oncall_members).order_by(oncall_members.c.name))
        return [_member(r) for r in rows]

    def member_count(self) -> int:
        return int(
            self._conn.execute(select(func.count()).select_from(oncall_members)).scalar_one()
        )

    def add_member(self, member: Member, *, now: datetime) -> None:
        self._conn.execute(
            insert(oncall_members).values(
                id=member.id,
                key=member.key,
                name=member.name,
                contact_id=member.contact_id,
                email=member.email,
                mobile=member.mobile,
                telegram_chat_id=member.telegram_chat_id,
                created_at=now,
                updated_at=now,
            )
        )

    def update_member(self, member: Member, *, now: datetime) -> None:
        self._conn.execute(
            update(oncall_members)
            .where(oncall_members.c.id == member.id)
            .values(
                name=member.name,
                contact_id=member.contact_id,
                email=member.email,
                mobile=member.mobile,
                telegram_chat_id=member.telegram_chat_id,
                updated_at=now,
            )
        )

    def cellule_contact_by_name(self, folded_name: str) -> tuple[str, dict[str, str | None]] | None:
        """A contact of category `cellule` with that folded name: its id and addresses."""
        from crisis.domain.contacts import fold

        rows = self._conn.execute(select(contacts).where(contacts.c.category == "cellule"))
        for row in rows:
            if fold(row.name) == folded_name:
                return row.id, {
                    "email": row.email,
                    "mobile": row.mobile,
                    "telegram_chat_id": row.telegram_chat_id,
                }
        return None

    def addresses(self, member: Member) -> dict[str, str | None]:
        """The member's own addresses, completed by those of the linked contact."""
        own: dict[str, str | None] = {
            "email": member.email,
            "mobile": member.mobile,
            "telegram_chat_id": member.telegram_chat_id,
        }
        if member.contact_id is None:
            return own
        row = self._conn.execute(select(contacts).where(contacts.c.id == member.contact_id)).first()
        if row is None:
            return own
        return {
            "email": own["email"] or row.email,
            "mobile": own["mobile"] or row.mobile,
            "telegram_chat_id": own["telegram_chat_id"] or row.telegram_chat_id,
        }

    # -- shifts ----------------------------------------------------------------------------

    def replace_shifts(self, shifts: Sequence[Shift]) -> None:
        self._conn.execute(delete(oncall_shifts))
        if shifts:
            self._conn.execute(
                insert(oncall_shifts),
                [
                    {
                        "id": s.id,
                        "member_id": s.member_id,
                        "role": s.role.value,
                        "starts_at": s.starts_at,
                        "ends_at": s.ends_at,
                    }
                    for s in shifts
                ],
            )

    def shifts(self) -> list[Shift]:
        rows = self._conn.execute(
            select(oncall_shifts).order_by(
                oncall_shifts.c.role, oncall_shifts.c.starts_at, oncall_shifts.c.id
            )
        )
        return [_shift(r) for r in rows]

    def on_call(self, at: datetime, role: CellRole | None = None) -> list[Shift]:
        query = (
            select(oncall_shifts)
            .where(oncall_shifts.c.starts_at <= at, oncall_shifts.c.ends_at > at)
            .order_by(oncall_shifts.c.role, oncall_shifts.c.starts_at, oncall_shifts.c.id)
        )
        if role is not None:
            query = query.where(oncall_shifts.c.role == role.value)
        return [_shift(r) for r in self._conn.execute(query)]

    def next_shifts(self, role: CellRole, after: datetime) -> list[Shift]:
        """The rota's next candidates for a role: shifts starting after `after`, in order."""
        query = (
            select(oncall_shifts)
            .where(oncall_shifts.c.role == role.value, oncall_shifts.c.starts_at > after)
            .order_by(oncall_shifts.c.starts_at, oncall_shifts.c.id)
        )
        return [_shift(r) for r in self._conn.execute(query)]

    def shift_starts(self, role: CellRole, after: datetime, upto: datetime) -> list[datetime]:
        query = (
            select(oncall_shifts.c.starts_at)
            .where(
                oncall_shifts.c.role == role.value,
                oncall_shifts.c.starts_at > after,
                oncall_shifts.c.starts_at <= upto,
            )
            .distinct()
            .order_by(oncall_shifts.c.starts_at)
        )
        return list(self._conn.scalars(query))

    # -- Telegram binding codes ------------------------------------------------------------

    def add_bind_code(
        self, *, code_hash: str, member_id: str, now: datetime, expires_at: datetime
    ) -> None:
        self._conn.execute(
            insert(oncall_bind_codes).values(
                code_hash=code_hash, member_id=member_id, created_at=now, expires_at=expires_at
            )
        )

    def bind_code(self, code_hash: str) -> BindCode | None:
        row = self._conn.execute(
            select(oncall_bind_codes).where(oncall_bind_codes.c.code_hash == code_hash)
        ).first()
        if row is None:
            return None
        return BindCode(row.code_hash, row.member_id, row.expires_at, row.used_at)

    def use_bind_code(self, code_hash: str, *, now: datetime) -> bool:
        result = self._conn.execute(
            update(oncall_bind_codes)
            .where(
                oncall_bind_codes.c.code_hash == code_hash, oncall_bind_codes.c.used_at.is_(None)
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

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

    # -- the CIP ---------------------------------------------------------------------------

    def add_cip(self, activation: CipActivation) -> None:
        self._conn.execute(
            insert(cip_activations).values(
                crisis_id=activation.crisis_id,
                numero_unique=activation.numero_unique,
                ordered_at=activation.ordered_at,
                ordered_by=activation.ordered_by,
            )
        )

    def cip(self, crisis_id: str) -> CipActivation | None:
        row = self._conn.execute(
            select(cip_activations).where(cip_activations.c.crisis_id == crisis_id)
        ).first()
        if row is None:
            return None
        return CipActivation(
            crisis_id=row.crisis_id,
            numero_unique=row.numero_unique,
            ordered_at=row.ordered_at,
            ordered_by=row.ordered_by,
            operational_at=row.operational_at,
            deactivated_at=row.deactivated_at,
            deactivated_by=row.deactivated_by,
            deactivation_reason=row.deactivation_reason,
        )

    def set_cip_operational(self, crisis_id: str, at: datetime) -> bool:
        result = self._conn.execute(
            update(cip_activations)
            .where(
                cip_activations.c.crisis_id == crisis_id,
                or_(
                    cip_activations.c.operational_at.is_(None),
                    cip_activations.c.operational_at > at,
                ),
            )
            .values(operational_at=at)
        )
        return result.rowcount == 1

    def set_cip_deactivated(self, crisis_id: str, *, at: datetime, by: str, reason: str) -> bool:
        result = self._conn.execute(
            update(cip_activations)
            .where(
                cip_activations.c.crisis_id == crisis_id,
                cip_activations.c.deactivated_at.is_(None),
            )
            .values(deactivated_at=at, deactivated_by=by, deactivation_reason=reason)
        )
        return result.rowcount == 1

    def open_cips(self, *, exercise: bool) -> list[CipActivation]:
        """The CIPs answering the public now: declared operational, not closed, their event
        still active; the most recently opened first."""
        query = (
            select(cip_activations.c.crisis_id)
            .join(crises, crises.c.id == cip_activations.c.crisis_id)
            .where(
                crises.c.exercise == exercise,
                crises.c.state == CrisisState.COD_ACTIVE.value,
                cip_activations.c.operational_at.is_not(None),
                cip_activations.c.deactivated_at.is_(None),
            )
            .order_by(cip_activations.c.operational_at.desc(), cip_activations.c.crisis_id)
        )
        found = [self.cip(crisis_id) for crisis_id in list(self._conn.scalars(query))]
        return [cip for cip in found if cip is not None]
