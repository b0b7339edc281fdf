"""Keys pressed during a phone call (`channels.voice`): « 1 » acknowledges the page the call
carries, the same acknowledgement as the link or the Telegram button, journalled « par
téléphone »; « 2 » declines it and the escalation moves on at once. An approver's call
(`crisis.services.approval_calls`) is answered the same way: « 1 » suspends the calls without
approving anything (they resume when the escalation's delay runs out without a decision),
« 2 » calls the next approver at once. A call that carries no
page (an élu's) is confirmed with its delivery (`deliveries.person_outcome`) and changes
nothing here.
"""

from __future__ import annotations

from crisis.domain.crisis import Crisis
from crisis.domain.errors import NotFound
from crisis.domain.messages import ChannelName
from crisis.domain.oncall import AnswerCall, PageDeclined
from crisis.services import approval_calls
from crisis.services.ack_handlers import acknowledge_pages
from crisis.services.callout_handlers import escalate_now
from crisis.services.context import HandlerContext, Outcome
from crisis.services.oncall_links import callout_over
from crisis.store.approvals_repository import ApprovalPage
from crisis.store.callout_repository import Page

VIA_PHONE = "telephone_touche"  # journalled as « par téléphone (touche 1) »
ACKNOWLEDGED, DECLINED = "acknowledged", "declined"


def answer_call(cmd: AnswerCall, ctx: HandlerContext) -> Outcome:
    """True when the answer is recorded (the caller hears so), False when it no longer can
    be (the call-out is over)."""
    if cmd.outcome not in (ACKNOWLEDGED, DECLINED):
        raise NotFound(f"Réponse d'appel inconnue « {cmd.outcome} ».")
    row = ctx.uow.outbox.delivery(cmd.delivery_id)
    if row is None:
        raise NotFound(f"Aucune diffusion ne porte l'identifiant « {cmd.delivery_id} ».")
    page = ctx.uow.oncall.page_by_message(row.message_id)
    if page is None:
        approver_page = ctx.uow.approvals.page_by_message(row.message_id)
        if approver_page is not None:
            return _answer_approver(ctx, approver_page, row.id, cmd.outcome)
        return Outcome(result=True, stream=row.crisis_id)  # an élu's confirmation
    if page.acknowledged_at is not None:
        return Outcome(result=True, stream=row.crisis_id)  # acknowledged already, by any way
    if callout_over(ctx.uow, page):
        return Outcome(result=False, stream=row.crisis_id)
    member = ctx.uow.oncall.member(page.member_id)
    assert member is not None
    ctx.uow.outbox.set_person_outcome(row.id, cmd.outcome)  # the round's summary counts it
    if cmd.outcome == ACKNOWLEDGED:
        acknowledge_pages(ctx, [page], member, via=VIA_PHONE, on_behalf=None)
        return Outcome(result=True, stream=row.crisis_id)
    crisis = ctx.uow.crises.get(page.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    _decline(ctx, crisis, page, member.name)
    ctx.uow.crises.save(crisis)
    return Outcome(result=True, stream=crisis.id)


def _decline(ctx: HandlerContext, crisis: Crisis, page: Page, member_name: str) -> None:
    callout = ctx.uow.oncall.callout(page.callout_id)
    assert callout is not None
    if page.message_id is not None:
        ctx.uow.outbox.cancel_pending(
            page.message_id,
            channel=ChannelName.VOICE.value,
            now=ctx.now,
            reason="appel décliné (touche 2)",
        )
    answered = page.role in ctx.uow.oncall.role_acknowledged_instants(callout.id)
    crisis.record_event(
        PageDeclined(
            crisis_id=crisis.id,
            callout_id=callout.id,
            page_id=page.id,
            role=page.role.value,
            member_id=page.member_id,
            member_name=member_name,
            round=page.round,
        )
    )
    if not answered:
        escalate_now(ctx, crisis, callout, page.role)  # the escalation's events follow


def _answer_approver(
    ctx: HandlerContext, page: ApprovalPage, delivery_id: str, outcome: str
) -> Outcome:
    """An approver's call: « 1 » suspends the calls (it approves nothing), « 2 » calls the next
    approver at once."""
    if page.acknowledged_at is not None or page.declined_at is not None:
        return Outcome(result=True, stream=page.crisis_id)
    if approval_calls.call_over(ctx, page):
        return Outcome(result=False, stream=page.crisis_id)
    ctx.uow.outbox.set_person_outcome(delivery_id, outcome)  # counted in the calls' summary
    crisis = ctx.uow.crises.get(page.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    if outcome == ACKNOWLEDGED:
        approval_calls.acknowledge(ctx, crisis, page, via=VIA_PHONE)
    else:
        approval_calls.decline(ctx, crisis, page)
    ctx.uow.crises.save(crisis)
    return Outcome(result=True, stream=crisis.id)
