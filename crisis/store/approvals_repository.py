"""The approvers' order and the calls of the approvers (crisis.services.approval_calls)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, insert, select, update

from crisis.store.tables import approval_calls, approval_links, approval_pages, approvers


@dataclass(frozen=True, slots=True)
class Approver:
    user_id: str
    position: int
    contact_id: str | None


@dataclass(frozen=True, slots=True)
class ApprovalCall:
    id: str
    crisis_id: str
    draft_id: str
    started_at: datetime
    deadline: datetime | None
    approvers: tuple[str, ...]  # user ids
    passes: int
    step: int
    due_at: datetime | None
    stopped_at: datetime | None = None
    stop_reason: str | None = None
    stopped_by: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalPage:
    id: str
    call_id: str
    crisis_id: str
    step: int
    user_id: str
    user_name: str
    message_id: str | None
    channels: tuple[str, ...]
    paged_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None = None
    ack_via: str | None = None
    declined_at: datetime | None = None
    link_expires_at: datetime | None = None


def _call(row: Any) -> ApprovalCall:
    return ApprovalCall(
        id=row.id,
        crisis_id=row.crisis_id,
        draft_id=row.draft_id,
        started_at=row.started_at,
        deadline=row.deadline,
        approvers=tuple(row.approvers),
        passes=row.passes,
        step=row.step,
        due_at=row.due_at,
        stopped_at=row.stopped_at,
        stop_reason=row.stop_reason,
        stopped_by=row.stopped_by,
    )


def _page(row: Any) -> ApprovalPage:
    return ApprovalPage(
        id=row.id,
        call_id=row.call_id,
        crisis_id=row.crisis_id,
        step=row.step,
        user_id=row.user_id,
        user_name=row.user_name,
        message_id=row.message_id,
        channels=tuple(row.channels),
        paged_at=row.paged_at,
        due_at=row.due_at,
        acknowledged_at=row.acknowledged_at,
        ack_via=row.ack_via,
        declined_at=row.declined_at,
        link_expires_at=row.link_expires_at,
    )


class ApprovalRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # -- the order ---------------------------------------------------------------------------

    def approvers(self) -> list[Approver]:
        rows = self._conn.execute(select(approvers).order_by(approvers.c.position))
        return [Approver(r.user_id, r.position, r.contact_id) for r in rows]

    def replace_approvers(self, items: list[Approver], *, at: datetime, by: str) -> None:
        self._conn.execute(delete(approvers))
        for item in items:
            self._conn.execute(
                insert(approvers).values(
                    user_id=item.user_id,
                    position=item.position,
                    contact_id=item.contact_id,
                    updated_at=at,
                    updated_by=by,
                )
            )

    # -- calls -------------------------------------------------------------------------------

    def add_call(self, call: ApprovalCall) -> None:
        self._conn.execute(
            insert(approval_calls).values(
                id=call.id,
                crisis_id=call.crisis_id,
                draft_id=call.draft_id,
                started_at=call.started_at,
                deadline=call.deadline,
                approvers=list(call.approvers),
                passes=call.passes,
                step=call.step,
                due_at=call.due_at,
            )
        )

    def call(self, call_id: str) -> ApprovalCall | None:
        row = self._conn.execute(
            select(approval_calls).where(approval_calls.c.id == call_id)
        ).first()
        return None if row is None else _call(row)

    def open_call_of(self, draft_id: str) -> ApprovalCall | None:
        row = self._conn.execute(
            select(approval_calls).where(
                approval_calls.c.draft_id == draft_id, approval_calls.c.stopped_at.is_(None)
            )
        ).first()
        return None if row is None else _call(row)

    def calls_of(self, crisis_id: str) -> list[ApprovalCall]:
        rows = self._conn.execute(
            select(approval_calls)
            .where(approval_calls.c.crisis_id == crisis_id)
            .order_by(approval_calls.c.started_at, approval_calls.c.id)
        )
        return [_call(r) for r in rows]

    def due_calls(self, now: datetime, crisis_id: str | None = None) -> list[ApprovalCall]:
        query = (
            select(approval_calls)
            .where(approval_calls.c.stopped_at.is_(None), approval_calls.c.due_at <= now)
            .order_by(approval_calls.c.due_at, approval_calls.c.id)
        )
        if crisis_id is not None:
            query = query.where(approval_calls.c.crisis_id == crisis_id)
        return [_call(r) for r in self._conn.execute(query)]

    def next_due_instants(self) -> list[tuple[str, datetime]]:
        """(crisis_id, due_at) of each running call, for the scheduler."""
        rows = self._conn.execute(
            select(approval_calls.c.crisis_id, approval_calls.c.due_at).where(
                approval_calls.c.stopped_at.is_(None), approval_calls.c.due_at.is_not(None)
            )
        )
        return [(r.crisis_id, r.due_at) for r in rows]

    def advance(self, call_id: str, *, from_step: int, to_step: int, due_at: datetime) -> bool:
        """Move a running call on one step; False when another process did it first."""
        result = self._conn.execute(
            update(approval_calls)
            .where(
                approval_calls.c.id == call_id,
                approval_calls.c.step == from_step,
                approval_calls.c.stopped_at.is_(None),
            )
            .values(step=to_step, due_at=due_at)
        )
        return result.rowcount == 1

    def _move_due(
        self, call_id: str, step: int, due_at: datetime, *more: ColumnElement[bool]
    ) -> bool:
        """The running call's step, if still at `step`, falls due at `due_at`."""
        result = self._conn.execute(
            update(approval_calls)
            .where(
                approval_calls.c.id == call_id,
                approval_calls.c.step == step,
                approval_calls.c.stopped_at.is_(None),
                *more,
            )
            .values(due_at=due_at)
        )
        return result.rowcount == 1

    def bring_forward(self, call_id: str, *, step: int, now: datetime) -> bool:
        """The step's wait is over now (« 2 » pressed on the phone)."""
        return self._move_due(call_id, step, now, approval_calls.c.due_at > now)

    def hold(self, call_id: str, *, step: int, due_at: datetime) -> bool:
        """The running call's step falls due at `due_at` instead (an acknowledgement)."""
        return self._move_due(call_id, step, due_at)

    def stop(self, call_id: str, *, at: datetime, reason: str, by: str | None) -> bool:
        result = self._conn.execute(
            update(approval_calls)
            .where(approval_calls.c.id == call_id, approval_calls.c.stopped_at.is_(None))
            .values(stopped_at=at, stop_reason=reason, stopped_by=by, due_at=None)
        )
        return result.rowcount == 1

    # -- pages -------------------------------------------------------------------------------

    def add_page(self, page: ApprovalPage) -> None:
        self._conn.execute(
            insert(approval_pages).values(
                id=page.id,
                call_id=page.call_id,
                crisis_id=page.crisis_id,
                step=page.step,
                user_id=page.user_id,
                user_name=page.user_name,
                message_id=page.message_id,
                channels=list(page.channels),
                paged_at=page.paged_at,
                due_at=page.due_at,
                link_expires_at=page.link_expires_at,
            )
        )

    def page(self, page_id: str) -> ApprovalPage | None:
        row = self._conn.execute(
            select(approval_pages).where(approval_pages.c.id == page_id)
        ).first()
        return None if row is None else _page(row)

    def page_by_message(self, message_id: str) -> ApprovalPage | None:
        row = self._conn.execute(
            select(approval_pages).where(approval_pages.c.message_id == message_id)
        ).first()
        return None if row is None else _page(row)

    def pages_of(self, call_id: str) -> list[ApprovalPage]:
        rows = self._conn.execute(
            select(approval_pages)
            .where(approval_pages.c.call_id == call_id)
            .order_by(approval_pages.c.step)
        )
        return [_page(r) for r in rows]

    def acknowledge(self, page_id: str, *, at: datetime, via: str) -> bool:
        result = self._conn.execute(
            update(approval_pages)
            .where(approval_pages.c.id == page_id, approval_pages.c.acknowledged_at.is_(None))
            .values(acknowledged_at=at, ack_via=via)
        )
        return result.rowcount == 1

    def decline(self, page_id: str, *, at: datetime) -> bool:
        result = self._conn.execute(
            update(approval_pages)
            .where(approval_pages.c.id == page_id, approval_pages.c.declined_at.is_(None))
            .values(declined_at=at)
        )
        return result.rowcount == 1

    # -- links -------------------------------------------------------------------------------

    def page_of_link(self, hashed: str, *, now: datetime) -> ApprovalPage | None:
        """The page a link leads to while the link is valid; None otherwise."""
        row = self._conn.execute(
            select(approval_pages)
            .join(approval_links, approval_links.c.page_id == approval_pages.c.id)
            .where(approval_links.c.token_hash == hashed, approval_links.c.expires_at > now)
        ).first()
        return None if row is None else _page(row)
