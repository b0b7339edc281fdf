"""The approvers of a submitted message are called, one after the other, until one decides.

Subscribed to `DraftSubmitted`: the approvers (in the administrator's order, the active users
with the approval right who did not write the message) are called through the call-out's
methods (`CRISIS_CALLOUT_METHODS`), exercise channels only for an exercise. The timing is the
domain's (`crisis.domain.approval_calls`): the delays shorten as the audience's deadline nears.
`CheckCallouts` (scheduled at each due instant, and the periodic sweep) moves the calls on;
the conditional update of `approval_calls.step` makes each step happen once. A decision
(`DraftApproved`, `DraftRejected`) stops the calls. An acknowledgement (« Je m'en occupe », « 1 »)
only suspends them: without a decision by the instant the escalation's delay gives
(`resume_instant`), they resume with the next approver and the duty officer is alerted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from crisis.domain.approval_calls import (
    AcknowledgeApprovalPage,
    ApprovalCallOfficerAlerted,
    ApprovalCallResumed,
    ApprovalCallStarted,
    ApprovalCallStopped,
    ApprovalPageAcknowledged,
    ApprovalPageDeclined,
    ApproverPaged,
    audience_deadline,
    last_call_instant,
    next_delay,
    resume_instant,
)
from crisis.domain.crisis import Crisis
from crisis.domain.draft_events import DraftApproved, DraftRejected, DraftSubmitted
from crisis.domain.drafts import Draft, DraftState
from crisis.domain.errors import Conflict, Forbidden, NotFound
from crisis.domain.messages import ChannelName, MessagePurpose
from crisis.domain.vocabulary import CrisisState
from crisis.french import long_datetime, sentence, short_time
from crisis.labels import AUDIENCE_LABELS
from crisis.services.ack_rights import own_member
from crisis.services.alert_handlers import raise_internal_alert, write_own_message
from crisis.services.approval_texts import approval_texts, sms_keep
from crisis.services.callout_methods import method_deliveries
from crisis.services.callout_texts import ack_link
from crisis.services.context import TRUSTED_ROLES, HandlerContext, Outcome
from crisis.services.roles import Role
from crisis.store.approvals_repository import ApprovalCall, ApprovalPage
from crisis.store.users_repository import User

APPROVER_ROLE = Role.PREFECT.value  # the approval right (crisis.services.registry.APPROVERS)
STOP_LABELS = {
    "approved": "message validé",
    "rejected": "message refusé",
    "acknowledged": "prise en charge par un valideur",
    "exhausted": "liste des valideurs épuisée",
    "closed": "événement clos ou message retiré",
}


def _timing(ctx: HandlerContext) -> tuple[timedelta, timedelta]:
    return (
        timedelta(minutes=ctx.settings.approval_call_minutes),
        timedelta(minutes=ctx.settings.approval_last_call_minutes),
    )


def eligible_approvers(ctx: HandlerContext, draft: Draft) -> list[User]:
    """The approvers in their order who may decide on this message now."""
    users: list[User] = []
    for approver in ctx.uow.approvals.approvers():
        user = ctx.uow.users.by_id(approver.user_id)
        if (
            user is not None
            and user.active
            and user.role == APPROVER_ROLE
            and draft.may_be_decided_by(user.name)
        ):
            users.append(user)
    return users


# -- starting -------------------------------------------------------------------------------


def on_draft_submitted(event: object, ctx: HandlerContext) -> None:
    assert isinstance(event, DraftSubmitted)
    if not ctx.uow.approvals.approvers():
        return  # no order set: the service is used without calling the approvers
    crisis = next(c for c in ctx.touched if c.id == event.crisis_id)
    draft = ctx.uow.drafts.get(event.draft_id, crisis_id=crisis.id)
    users = eligible_approvers(ctx, draft)
    deadline = audience_deadline(crisis, draft.audiences)
    _, margin = _timing(ctx)
    call = ApprovalCall(
        id=ctx.new_id(),
        crisis_id=crisis.id,
        draft_id=draft.id,
        started_at=ctx.now,
        deadline=deadline,
        approvers=tuple(u.id for u in users),
        passes=ctx.settings.approval_passes,
        step=0,
        due_at=None,
    )
    ctx.uow.approvals.add_call(call)
    crisis.record_event(
        ApprovalCallStarted(
            crisis_id=crisis.id,
            call_id=call.id,
            draft_id=draft.id,
            approvers=tuple(u.name for u in users),
            deadline=deadline,
            last_call_at=last_call_instant(deadline, margin),
        )
    )
    if not users:
        _alert_officer(ctx, crisis, call, passes=0, final=True)
        _stop(ctx, crisis, call, reason="exhausted", by=None)
        return
    due = _page_step(ctx, crisis, draft, call, 0)
    ctx.uow.approvals.advance(call.id, from_step=0, to_step=0, due_at=due)


def _page_step(
    ctx: HandlerContext, crisis: Crisis, draft: Draft, call: ApprovalCall, step: int
) -> datetime:
    """Call the approver of this step; the instant the next step falls due."""
    count = len(call.approvers)
    base, margin = _timing(ctx)
    delay = next_delay(
        ctx.now,
        remaining=count - 1 - step % count,
        deadline=call.deadline,
        base=base,
        margin=margin,
    )
    due = ctx.now + delay
    user = ctx.uow.users.by_id(call.approvers[step % count])
    assert user is not None
    page_id = ctx.new_id()
    message_id: str | None = None
    channels: tuple[str, ...] = ()
    link_expires_at: datetime | None = None
    reach = reach_of(ctx, user)
    if ctx.catalog is not None and reach is not None:
        available = ctx.catalog.channels(exercise=crisis.exercise)  # exercise safety
        # Each method after its configured delay, but never after the next approver's call.
        rows = [
            replace(row, delay=min(row.delay or timedelta(0), delay))
            for row in method_deliveries(ctx, reach[0], reach[1], available)
        ]
        if rows:
            link = ack_link(ctx)
            if link is not None:
                link_expires_at = ctx.now + timedelta(minutes=ctx.settings.ack_link_minutes)
            audiences = ", ".join(AUDIENCE_LABELS.get(a.value, a.value) for a in draft.audiences)
            message_id = write_own_message(
                ctx,
                crisis,
                rows,
                purpose=MessagePurpose.APPROVAL_CALL,
                variants=approval_texts(
                    ctx, crisis, audiences=audiences or "publics", deadline=call.deadline, link=link
                ),
                keep=sms_keep(link),
            )
            channels = tuple(dict.fromkeys(r.channel for r in rows))
    ctx.uow.approvals.add_page(
        ApprovalPage(
            id=page_id,
            call_id=call.id,
            crisis_id=crisis.id,
            step=step,
            user_id=user.id,
            user_name=user.name,
            message_id=message_id,
            channels=channels,
            paged_at=ctx.now,
            due_at=due,
            link_expires_at=link_expires_at,
        )
    )
    crisis.record_event(
        ApproverPaged(
            crisis_id=crisis.id,
            call_id=call.id,
            draft_id=draft.id,
            page_id=page_id,
            message_id=message_id,
            step=step,
            approver=user.name,
            channels=channels,
            next_due_at=due,
        )
    )
    return due


def reach_of(ctx: HandlerContext, user: User) -> tuple[str, dict[str, str | None]] | None:
    """Who the approver is reached as, and their addresses: the contact of the directory the
    administrator linked, else the on-call member who bears the user's name."""
    for approver in ctx.uow.approvals.approvers():
        if approver.user_id == user.id and approver.contact_id is not None:
            contact = ctx.uow.contacts.get(approver.contact_id)
            if not contact.active:
                return None  # a deactivated contact lends no address
            addresses = {
                "email": contact.email,
                "mobile": contact.mobile,
                "telegram_chat_id": contact.telegram_chat_id,
            }
            return contact.name, addresses
    member = own_member(ctx.uow, user.name)
    return None if member is None else (member.name, ctx.uow.oncall.addresses(member))


# -- moving on ------------------------------------------------------------------------------


def check_approval_calls(
    ctx: HandlerContext, crisis_of: Callable[[str], Crisis], crisis_id: str | None
) -> None:
    """Each call whose step fell due: the next approver, or the duty officer's alert."""
    for seen in ctx.uow.approvals.due_calls(ctx.now, crisis_id):
        crisis = crisis_of(seen.crisis_id)
        # Read again under the event's lock: an acknowledgement committed meanwhile may have
        # put the step off (a decision stopped it: the conditional updates see that).
        call = ctx.uow.approvals.call(seen.id)
        if call is None or call.due_at is None or call.due_at > ctx.now:
            continue
        draft = ctx.uow.drafts.get(call.draft_id, crisis_id=crisis.id)
        if crisis.state is CrisisState.CLOSED or draft.state is not DraftState.SUBMITTED:
            _stop(ctx, crisis, call, reason="closed", by=None)
            continue
        _next_step(ctx, crisis, draft, call)


def holding_page(pages: list[ApprovalPage], call: ApprovalCall) -> ApprovalPage | None:
    """The acknowledgement that suspends the calls at their current step, if any: the latest
    taken on the current approver's page, or on an earlier page after the current approver was
    called. The next step (a resumption) consumes it."""
    if call.stopped_at is not None:
        return None
    current = next((p for p in pages if p.step == call.step), None)
    taken = [
        p
        for p in pages
        if p.acknowledged_at is not None
        and (current is None or p.step == call.step or p.acknowledged_at > current.paged_at)
    ]
    return max(taken, key=lambda p: (p.acknowledged_at, p.step), default=None)


def _next_step(ctx: HandlerContext, crisis: Crisis, draft: Draft, call: ApprovalCall) -> None:
    count = len(call.approvers)
    step = call.step + 1
    new_pass = step % count == 0
    final = new_pass and step // count >= call.passes
    taken = holding_page(ctx.uow.approvals.pages_of(call.id), call)
    if taken is not None:
        assert taken.acknowledged_at is not None
        crisis.record_event(
            ApprovalCallResumed(
                crisis_id=crisis.id,
                call_id=call.id,
                draft_id=call.draft_id,
                page_id=taken.id,
                approver=taken.user_name,
                acknowledged_at=taken.acknowledged_at,
                final=final,
            )
        )
        if not new_pass:
            _alert_resumed(ctx, crisis, call, taken, next_user=call.approvers[step % count])
    if new_pass:
        done = step // count
        _alert_officer(ctx, crisis, call, passes=done, final=final, taken=taken)
        if final:
            _stop(ctx, crisis, call, reason="exhausted", by=None)
            return
    # Claim the step first: a concurrent sweep that lost the race pages nobody.
    if not ctx.uow.approvals.advance(call.id, from_step=call.step, to_step=step, due_at=ctx.now):
        return
    due = _page_step(ctx, crisis, draft, call, step)
    ctx.uow.approvals.advance(call.id, from_step=step, to_step=step, due_at=due)


def _taken_without_decision(page: ApprovalPage) -> str:
    assert page.acknowledged_at is not None
    return (
        f"{page.user_name} l'a pris en charge à {short_time(page.acknowledged_at)} sans le "
        "valider ni le refuser"
    )


def _alert_resumed(
    ctx: HandlerContext, crisis: Crisis, call: ApprovalCall, taken: ApprovalPage, next_user: str
) -> None:
    user = ctx.uow.users.by_id(next_user)
    who = user.name if user is not None else "le valideur suivant"
    _officer_alert(
        ctx, crisis, f"{_taken_without_decision(taken)} : les appels reprennent ({who})."
    )


def _officer_alert(ctx: HandlerContext, crisis: Crisis, why: str) -> None:
    raise_internal_alert(
        ctx,
        crisis,
        purpose=MessagePurpose.CLOCK_ALERT,
        subject="Message à valider sans décision",
        text=(
            f"MESSAGE À VALIDER SANS DÉCISION – {why} Joignez le préfet ou son délégué. "
            + sentence(f"Événement : {crisis.title}")
        ),
    )


def _alert_officer(
    ctx: HandlerContext,
    crisis: Crisis,
    call: ApprovalCall,
    *,
    passes: int,
    final: bool,
    taken: ApprovalPage | None = None,
) -> None:
    pages = ctx.uow.approvals.pages_of(call.id)
    paged = len({p.user_id for p in pages if p.message_id})
    crisis.record_event(
        ApprovalCallOfficerAlerted(
            crisis_id=crisis.id,
            call_id=call.id,
            draft_id=call.draft_id,
            passes=passes,
            paged=paged,
            final=final,
        )
    )
    why = (
        "aucun valideur ne peut être appelé (liste vide, comptes inactifs ou auteurs du message)"
        if not call.approvers
        else f"aucune décision après {passes} tour(s) de la liste ; {paged} valideur(s) "
        f"réellement joint(s) depuis le {long_datetime(call.started_at)}"
    )
    if taken is not None:
        why = f"{_taken_without_decision(taken)} ; {why}"
    after = " Les appels s'arrêtent." if final else " Un nouveau tour d'appels commence."
    _officer_alert(ctx, crisis, f"{why}.{after if call.approvers else ''}")


# -- stopping -------------------------------------------------------------------------------


def _stop(
    ctx: HandlerContext, crisis: Crisis, call: ApprovalCall, *, reason: str, by: str | None
) -> None:
    if not ctx.uow.approvals.stop(call.id, at=ctx.now, reason=reason, by=by):
        return
    messages = _cancel_phone_calls(ctx, call, f"appels arrêtés : {STOP_LABELS[reason]}")
    calls = ctx.uow.outbox.call_outcomes(messages, channel=ChannelName.VOICE.value)
    crisis.record_event(
        ApprovalCallStopped(
            crisis_id=crisis.id,
            call_id=call.id,
            draft_id=call.draft_id,
            reason=reason,
            by=by,
            calls=dict(sorted(calls.items())),
        )
    )


def _cancel_phone_calls(ctx: HandlerContext, call: ApprovalCall, reason: str) -> list[str]:
    """Phone calls not placed yet (or waiting to ring again) are no longer wanted; the ids of
    the call's messages."""
    messages = [p.message_id for p in ctx.uow.approvals.pages_of(call.id) if p.message_id]
    for message_id in messages:
        ctx.uow.outbox.cancel_pending(
            message_id, channel=ChannelName.VOICE.value, now=ctx.now, reason=reason
        )
    return messages


def on_draft_decided(event: object, ctx: HandlerContext) -> None:
    """Subscribed to `DraftApproved` and `DraftRejected`: whoever decided, the calls stop."""
    assert isinstance(event, DraftApproved | DraftRejected)
    call = ctx.uow.approvals.open_call_of(event.draft_id)
    if call is None:
        return
    crisis = next(c for c in ctx.touched if c.id == event.crisis_id)
    if isinstance(event, DraftApproved):
        _stop(ctx, crisis, call, reason="approved", by=event.approved_by)
    else:
        _stop(ctx, crisis, call, reason="rejected", by=event.rejected_by)


def acknowledge_approval_page(cmd: AcknowledgeApprovalPage, ctx: HandlerContext) -> Outcome:
    """« Je m'en occupe » on the page the link opens: the approver called suspends the calls."""
    page = ctx.uow.approvals.page(cmd.page_id)
    if page is None:
        raise NotFound("Cet appel de valideur n'existe pas.")
    if ctx.actor.role not in TRUSTED_ROLES and ctx.actor.user_id != page.user_id:
        raise Forbidden(
            f"Cet appel s'adressait à {page.user_name} : seul(e) {page.user_name} peut "
            "le prendre en charge. Vous pouvez valider ou refuser le message."
        )
    crisis = ctx.uow.crises.get(page.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    acknowledge(ctx, crisis, page, via=cmd.via)
    ctx.uow.crises.save(crisis)
    return Outcome(result=page.id, stream=crisis.id)


def acknowledge(ctx: HandlerContext, crisis: Crisis, page: ApprovalPage, *, via: str) -> None:
    call = ctx.uow.approvals.call(page.call_id)
    assert call is not None
    if call.stopped_at is not None:
        raise Conflict(
            f"Les appels de ce message sont déjà arrêtés ({STOP_LABELS[call.stop_reason or '']}"
            f", le {long_datetime(call.stopped_at)}) : il n'y a rien à prendre en charge."
        )
    if not ctx.uow.approvals.acknowledge(page.id, at=ctx.now, via=via):
        return
    base, margin = _timing(ctx)
    count = len(call.approvers)
    resume_at = resume_instant(
        ctx.now,
        remaining=count - 1 - call.step % count,
        due=call.due_at,
        deadline=call.deadline,
        base=base,
        margin=margin,
    )
    ctx.uow.approvals.hold(call.id, step=call.step, due_at=resume_at)
    crisis.record_event(
        ApprovalPageAcknowledged(
            crisis_id=crisis.id,
            call_id=call.id,
            draft_id=call.draft_id,
            page_id=page.id,
            approver=page.user_name,
            via=via,
            resume_at=resume_at,
        )
    )
    _cancel_phone_calls(ctx, call, f"appels suspendus : pris en charge par {page.user_name}")


def call_over(ctx: HandlerContext, page: ApprovalPage) -> bool:
    call = ctx.uow.approvals.call(page.call_id)
    return call is None or call.stopped_at is not None


def decline(ctx: HandlerContext, crisis: Crisis, page: ApprovalPage) -> None:
    """« 2 » on the phone: this approver cannot; the next one is called at once."""
    call = ctx.uow.approvals.call(page.call_id)
    assert call is not None
    if not ctx.uow.approvals.decline(page.id, at=ctx.now):
        return
    crisis.record_event(
        ApprovalPageDeclined(
            crisis_id=crisis.id,
            call_id=call.id,
            draft_id=call.draft_id,
            page_id=page.id,
            approver=page.user_name,
        )
    )
    held = holding_page(ctx.uow.approvals.pages_of(call.id), call) is not None
    if (
        call.step == page.step
        and not held  # someone else took it on: the calls wait for them
        and ctx.uow.approvals.bring_forward(call.id, step=page.step, now=ctx.now)
    ):
        draft = ctx.uow.drafts.get(call.draft_id, crisis_id=crisis.id)
        moved = ctx.uow.approvals.call(call.id)
        assert moved is not None
        _next_step(ctx, crisis, draft, moved)
