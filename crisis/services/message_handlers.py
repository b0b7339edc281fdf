"""Sending: a message becomes outbox rows in the same transaction, with its plan of
deliveries; internal alerts and delivery outcomes have their own modules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from channels.contract import Channel
from crisis.catalog import ChannelCatalog
from crisis.delivery.planning import Plan, check_texts
from crisis.domain.commands import SendMessage
from crisis.domain.crisis import Crisis
from crisis.domain.draft_events import DraftComposed, DraftSubmitted
from crisis.domain.drafts import Draft, DraftOrigin, DraftState, needs_approval
from crisis.domain.errors import Conflict, FieldCheck, InvalidInput
from crisis.domain.events import MessageSent
from crisis.domain.fanouts import Fanout
from crisis.domain.messages import ChannelName, Message, MessagePurpose, MessageTexts, MessageType
from crisis.domain.vocabulary import Audience, CrisisState
from crisis.services.context import HandlerContext, Outcome, catalog_of
from crisis.services.fanout_handlers import (
    INLINE_CONTACTS,
    Tally,
    expand_audiences,
    list_members,
    plan_lists,
    possible_channels,
    write_deliveries,
)

ALERT_PURPOSES = frozenset({MessagePurpose.CLOCK_ALERT, MessagePurpose.DELIVERY_ALERT})


@dataclass(frozen=True, slots=True)
class SentMessage:
    message_id: str
    deliveries: int  # written when the send answered
    complete: bool = True  # False: the rest of a large audience is written in the background


def usable_channels(
    catalog: ChannelCatalog, *, exercise: bool, restrict: Sequence[str] | None
) -> dict[str, Channel]:
    available = catalog.channels(exercise=exercise)
    if restrict is None:
        return dict(available)
    chosen: dict[str, Channel] = {}
    for name in restrict:
        if name not in {c.value for c in ChannelName}:
            raise InvalidInput("channels", f"Canal inconnu « {name} ».")
        if name not in available:
            if exercise and name in catalog.production:
                raise Conflict(
                    f"Le canal « {name} » dessert le public réel : il est interdit en exercice."
                )
            raise InvalidInput("channels", f"Le canal « {name} » n'est pas configuré.")
        chosen[name] = available[name]
    return chosen


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """A message held for the préfet's approval instead of being sent."""

    draft_id: str


def check_target(audiences: Sequence[Audience], lists: Sequence[str]) -> None:
    if not audiences and not lists:
        raise InvalidInput("audiences", "Choisissez au moins un public ou une liste.")


def check_reference(
    ctx: HandlerContext, crisis: Crisis, msg_type: str, references_id: str | None
) -> MessageType:
    try:
        kind = MessageType(msg_type)
    except ValueError:
        raise InvalidInput("msg_type", "Type inconnu : alert, update ou cancel.") from None
    if kind is not MessageType.ALERT:
        earlier = ctx.uow.outbox.message(references_id) if references_id else None
        if earlier is None or earlier.crisis_id != crisis.id:
            raise InvalidInput(
                "references_id",
                "Une mise à jour ou une annulation doit citer un message déjà envoyé "
                "pour cet événement.",
            )
    return kind


def ensure_open(crisis: Crisis) -> None:
    if crisis.state is CrisisState.CLOSED:
        raise Conflict("Cet événement est clos : aucun message ne peut plus partir.")


def send_message(cmd: SendMessage, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    ensure_open(crisis)
    check = FieldCheck()  # the public and the texts: both problems at once
    check.read(lambda: check_target(cmd.audiences, cmd.lists))
    msg_type = check.read(lambda: check_reference(ctx, crisis, cmd.msg_type, cmd.references_id))
    texts = check.read(lambda: MessageTexts.parse(dict(cmd.texts)))
    check.done()
    assert msg_type is not None and texts is not None
    if needs_approval(cmd.audiences, cmd.lists, ctx.settings.approval_audiences):
        # Free text never bypasses the préfet: it waits, submitted, for approval.
        draft_id = _hold_for_approval(cmd, ctx, crisis, texts)
        ctx.uow.crises.save(crisis)
        return Outcome(result=PendingApproval(draft_id), stream=crisis.id)
    sent = deliver(
        ctx,
        crisis,
        texts=texts,
        audiences=cmd.audiences,
        lists=cmd.lists,
        channels=cmd.channels,
        msg_type=msg_type,
        references_id=cmd.references_id,
        author=ctx.actor.name,
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=sent, stream=crisis.id)


def _hold_for_approval(
    cmd: SendMessage, ctx: HandlerContext, crisis: Crisis, texts: MessageTexts
) -> str:
    """Keep the free text as a prepared message, submitted for approval on the spot."""
    if crisis.exercise:
        texts = texts.marked(ctx.settings.exercise_marker)
    draft = Draft(
        id=ctx.new_id(),
        crisis_id=crisis.id,
        origin=DraftOrigin.FREE_TEXT,
        state=DraftState.DRAFT,
        audiences=tuple(dict.fromkeys(cmd.audiences)),
        lists=tuple(dict.fromkeys(cmd.lists)),
        channels=cmd.channels,
        msg_type=cmd.msg_type,
        references_id=cmd.references_id,
        exercise=crisis.exercise,
        needs_approval=True,
        texts=dict(texts.variants),
        created_by=ctx.actor.name,
        created_at=ctx.now,
        updated_by=ctx.actor.name,
        updated_at=ctx.now,
    )
    crisis.record_event(draft_composed(draft))
    draft.submit(by=ctx.actor.name, at=ctx.now)
    crisis.record_event(
        DraftSubmitted(crisis_id=crisis.id, draft_id=draft.id, submitted_by=ctx.actor.name)
    )
    ctx.uow.drafts.add(draft)
    return draft.id


def draft_composed(draft: Draft) -> DraftComposed:
    return DraftComposed(
        crisis_id=draft.crisis_id,
        draft_id=draft.id,
        origin=draft.origin.value,
        template=draft.template,
        template_version=draft.template_version,
        audiences=tuple(a.value for a in draft.audiences),
        lists=draft.lists,
        msg_type=draft.msg_type,
        references_id=draft.references_id,
        needs_approval=draft.needs_approval,
        composed_by=draft.created_by,
    )


def deliver(
    ctx: HandlerContext,
    crisis: Crisis,
    *,
    texts: MessageTexts,
    audiences: Sequence[Audience],
    lists: Sequence[str],
    channels: Sequence[str] | None,
    msg_type: MessageType,
    references_id: str | None,
    author: str,
) -> SentMessage:
    """Write a factual message and its outbox rows (the caller saves the crisis).

    The named lists, then the audiences, are planned and written a chunk at a time; past
    `INLINE_CONTACTS` audience contacts (once something is written), the rest is left to the
    background (`continue_fanout`). A refusal (nobody reachable, a text too long for a channel
    that carries it) raises, and the transaction, rolled back, leaves nothing behind: when the
    fan-out goes on in the background, texts are checked against every channel it may use.
    """
    if crisis.exercise:
        texts = texts.marked(ctx.settings.exercise_marker)
    usable = usable_channels(catalog_of(ctx), exercise=crisis.exercise, restrict=channels)
    message = Message(
        id=ctx.new_id(),
        crisis_id=crisis.id,
        purpose=MessagePurpose.FACTUAL,
        msg_type=msg_type,
        audiences=tuple(dict.fromkeys(audiences)),
        lists=tuple(lists),
        texts=texts,
        exercise=crisis.exercise,
        created_by=author,
        created_at=ctx.now,
        references_id=references_id,
    )
    members = list_members(ctx, message, lists)
    ctx.uow.outbox.add_message(message)
    tally = Tally()
    plan_lists(ctx, message, members, usable, tally)
    fanout = Fanout(
        message.id,
        crisis.id,
        channels=tuple(channels) if channels is not None else None,
        audience_index=0,
        after=None,
        accepted_at=ctx.now,
    )
    finished = False
    while not finished:
        finished = expand_audiences(ctx, message, usable, fanout, tally, budget=INLINE_CONTACTS)
        if tally.by_channel:
            break
    if not tally.by_channel:
        raise InvalidInput(
            "audiences",
            "Aucun destinataire joignable sur les canaux configurés : rien à envoyer.",
        )
    used = {name: usable[name] for name in tally.by_channel}
    carriers = used if finished else possible_channels(ctx, message, usable) | used
    check_texts(texts, carriers, subject=crisis.title)
    _record_sent(crisis, message, tally)
    if not finished:
        fanout.by_channel, fanout.unreachable = tally.by_channel, tally.unreachable
        ctx.uow.fanouts.add(fanout)
    return SentMessage(message.id, sum(tally.by_channel.values()), complete=finished)


def write_message(ctx: HandlerContext, crisis: Crisis, message: Message, plan: Plan) -> None:
    ctx.uow.outbox.add_message(message)
    tally = Tally(unreachable=len(plan.unreachable))
    write_deliveries(ctx, message, plan.deliveries, tally)
    _record_sent(crisis, message, tally)


def _record_sent(crisis: Crisis, message: Message, tally: Tally) -> None:
    crisis.record_event(
        MessageSent(
            crisis_id=crisis.id,
            message_id=message.id,
            purpose=message.purpose.value,
            msg_type=message.msg_type.value,
            references_id=message.references_id,
            audiences=tuple(a.value for a in message.audiences),
            lists=message.lists,
            exercise=message.exercise,
            deliveries=dict(sorted(tally.by_channel.items())),
            unreachable=tally.unreachable,
        )
    )
