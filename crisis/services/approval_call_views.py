"""The approvers' calls as people read them: on the event page (the duty officer sees who was
called, by what, when, and whether they answered) and on the page a link opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crisis.domain.approval_calls import last_call_instant
from crisis.french import short_time
from crisis.labels import ack_via_label, channel_label
from crisis.services.approval_calls import STOP_LABELS, holding_page
from crisis.settings import Settings
from crisis.store.approvals_repository import ApprovalCall, ApprovalPage
from crisis.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class PageLine:
    page_id: str
    approver: str
    user_id: str
    turn: int  # 1, 2… (the pass over the list)
    paged_at: datetime
    methods: str  # « SMS, courriel, appel téléphonique »; empty: no way to reach them
    answer: str  # « pris en charge (téléphone (touche 1)) », « indisponible », « sans réponse »
    answered: bool


@dataclass(frozen=True, slots=True)
class CallView:
    call_id: str
    draft_id: str
    started_at: datetime
    deadline: datetime | None
    last_call_at: datetime | None
    running: bool
    status: str  # « en cours » or why it stopped, with whom
    next_due_at: datetime | None
    next_approver: str | None
    new_pass: bool  # the next step begins a new pass (the duty officer is alerted first)
    final: bool  # the next step ends the calls (the duty officer is alerted)
    taken_by: str | None  # who took the message on: the calls wait until next_due_at
    taken_at: datetime | None
    pages: tuple[PageLine, ...]


def _lapsed(page: ApprovalPage, pages: list[ApprovalPage], call: ApprovalCall) -> str:
    """How an acknowledgement ran out without a decision (empty: it did not): someone was
    called after it, or the list was exhausted while it held."""
    assert page.acknowledged_at is not None
    taken_at = page.acknowledged_at
    if any(p.step > page.step and p.paged_at >= taken_at for p in pages):
        return "appels repris"
    return "appels arrêtés" if call.stop_reason == "exhausted" else ""


def _answer(page: ApprovalPage, pages: list[ApprovalPage], call: ApprovalCall) -> tuple[str, bool]:
    if page.acknowledged_at is not None:
        answer = f"pris en charge ({ack_via_label(page.ack_via)})"
        if after := _lapsed(page, pages, call):
            answer += f" à {short_time(page.acknowledged_at)}, sans décision : {after}"
        return answer, True
    if page.declined_at is not None:
        return "indisponible (touche 2)", True
    if call.stopped_at is None and call.step == page.step:
        return "appel en cours, sans réponse pour l'instant", False
    return "sans réponse", False


def call_view(uow: UnitOfWork, settings: Settings, call: ApprovalCall) -> CallView:
    pages = uow.approvals.pages_of(call.id)
    count = max(len(call.approvers), 1)
    lines = []
    for page in pages:
        answer, answered = _answer(page, pages, call)
        lines.append(
            PageLine(
                page_id=page.id,
                approver=page.user_name,
                user_id=page.user_id,
                turn=page.step // count + 1,
                paged_at=page.paged_at,
                methods=", ".join(channel_label(c) for c in page.channels),
                answer=answer,
                answered=answered,
            )
        )
    next_approver = None
    new_pass = (call.step + 1) % count == 0
    final = call.step + 1 >= count * call.passes
    if call.stopped_at is None and call.approvers and not final:
        user = uow.users.by_id(call.approvers[(call.step + 1) % count])
        next_approver = user.name if user is not None else None
    if call.stopped_at is None:
        status = "en cours"
    else:
        status = STOP_LABELS.get(call.stop_reason or "", call.stop_reason or "")
        if call.stopped_by:
            status += f" ({call.stopped_by})"
    taken = holding_page(pages, call)
    margin = timedelta(minutes=settings.approval_last_call_minutes)
    return CallView(
        call_id=call.id,
        draft_id=call.draft_id,
        started_at=call.started_at,
        deadline=call.deadline,
        last_call_at=last_call_instant(call.deadline, margin),
        running=call.stopped_at is None,
        status=status,
        next_due_at=call.due_at if call.stopped_at is None else None,
        next_approver=next_approver,
        new_pass=new_pass,
        final=final,
        taken_by=None if taken is None else taken.user_name,
        taken_at=None if taken is None else taken.acknowledged_at,
        pages=tuple(lines),
    )


def crisis_calls(uow: UnitOfWork, settings: Settings, crisis_id: str) -> list[CallView]:
    """Every call of the approvers for the event's messages, the latest first."""
    calls = uow.approvals.calls_of(crisis_id)
    return [call_view(uow, settings, c) for c in reversed(calls)]
