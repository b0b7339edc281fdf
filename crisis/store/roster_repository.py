"""The cell's roster in the store: members, shifts and Telegram binding codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from crisis.domain.oncall import CellRole, Member, Shift
from crisis.store.tables import (
    contacts,
    oncall_bind_codes,
    oncall_members,
    oncall_shifts,
)


@dataclass(frozen=True, slots=True)
class BindCode:
    code_hash: str
    member_id: str
    expires_at: datetime
    used_at: datetime | None


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


class RosterRepository:
    """Mixed into `OncallRepository`, which holds the connection."""

    _conn: Connection

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

        rows = self._conn.execute(
            select(contacts).where(contacts.c.category == "cellule", contacts.c.active.is_(True))
        )
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
        if row is None or not row.active:
            return own  # a deactivated contact lends no address
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
