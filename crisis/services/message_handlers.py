"""Sending: a message becomes outbox rows in the same transaction, with its plan of
deliveries; internal alerts and delivery outcomes have their own modules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from channels.contract import Channel
from crisis.catalog import ChannelCatalog
from crisis.delivery.planning import (
    Plan,
    PlannedDelivery,
    broadcast_deliveries,
    check_texts,
    contact_deliveries,
)
from crisis.domain.commands import SendMessage
from crisis.domain.contacts import Contact
from crisis.domain.crisis import Crisis
from crisis.domain.draft_events import DraftComposed, DraftSubmitted
from crisis.domain.drafts import Draft, DraftOrigin, DraftState, needs_approval
from crisis.domain.errors import Conflict, InvalidInput
from crisis.domain.events import (
    MessageSent,
)
from crisis.domain.messages import (
    ChannelName,
    Message,
    MessagePurpose,
    MessageTexts,
    MessageType,
)
from crisis.domain.vocabulary import Audience, CrisisState
from crisis.services.context import HandlerContext, Outcome

ALERT_PURPOSES = frozenset({MessagePurpose.CLOCK_ALERT, MessagePurpose.DELIVERY_ALERT})


def catalog_of(ctx: HandlerContext) -> ChannelCatalog:
    if ctx.catalog is None:
        raise RuntimeError("no channel catalog wired into the bus")
    return ctx.catalog


@dataclass(frozen=True, slots=True)
class SentMessage:
    message_id: str
    deliveries: int


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


# Contacts read, planned and written at a time by a fan-out: memory stays flat whatever the
# number of recipients.
PLAN_CHUNK = 2000


@dataclass
class _Tally:
    """What a streamed plan wrote: deliveries per channel, contacts with no usable address."""

    by_channel: dict[str, int] = field(default_factory=dict)
    unreachable: int = 0

    def add(self, planned: Sequence[PlannedDelivery]) -> None:
        for delivery in planned:
            self.by_channel[delivery.channel] = self.by_channel.get(delivery.channel, 0) + 1


def _planned_chunks(
    ctx: HandlerContext,
    crisis: Crisis,
    channels: dict[str, Channel],
    *,
    audiences: Sequence[Audience],
    lists: Sequence[str],
    tally: _Tally,
) -> Iterator[list[PlannedDelivery]]:
    """The deliveries of a message, a chunk at a time, in the order of the audiences then
    the lists; a contact reached twice is planned once; `tally` counts the unreachable."""
    catalog = catalog_of(ctx)
    audience_channels = catalog.config.audiences
    seen_contacts: set[str] = set()

    def contact_rows(
        people: Iterable[Contact], channel_names: Sequence[ChannelName]
    ) -> list[PlannedDelivery]:
        planned: list[PlannedDelivery] = []
        for contact in people:
            if contact.id in seen_contacts:
                continue
            seen_contacts.add(contact.id)
            rows = contact_deliveries(contact, channels=channel_names, available=channels)
            if rows:
                planned.extend(rows)
            else:
                tally.unreachable += 1
        return planned

    for audience in audiences:
        if audience is Audience.PUBLIC:
            yield broadcast_deliveries(
                channels=audience_channels.get(audience, []), available=channels
            )
            continue
        for people in ctx.uow.contacts.audience_in_chunks(
            audience, exercise=crisis.exercise, size=PLAN_CHUNK
        ):
            yield contact_rows(people, audience_channels.get(audience, []))
    for list_ref in lists:
        members = ctx.uow.contacts.resolve(list_ref, exercise=False)
        if crisis.exercise:
            outsiders = [m for m in members if not m.exercise]
            if outsiders:
                raise Conflict(
                    f"La liste « {list_ref} » compte {len(outsiders)} destinataire(s) qui ne "
                    "participent pas aux exercices : envoi refusé, rien n'est parti."
                )
        person_channels = sorted(
            {c for a in (Audience.ELUS, Audience.MEDIA) for c in audience_channels.get(a, [])}
        )
        yield contact_rows(members, person_channels)


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
    check_target(cmd.audiences, cmd.lists)
    msg_type = check_reference(ctx, crisis, cmd.msg_type, cmd.references_id)
    texts = MessageTexts.parse(dict(cmd.texts))
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

    The deliveries are planned and written a chunk at a time; a refusal found on the way
    (nobody reachable, a text too long for a channel that carries it) raises, and the
    transaction, rolled back, leaves nothing behind.
    """
    if crisis.exercise:
        texts = texts.marked(ctx.settings.exercise_marker)
    usable = usable_channels(catalog_of(ctx), exercise=crisis.exercise, restrict=channels)
    message = Message(
        id=ctx.new_id(),
        crisis_id=crisis.id,
        purpose=MessagePurpose.FACTUAL,
        msg_type=msg_type,
        audiences=tuple(audiences),
        lists=tuple(lists),
        texts=texts,
        exercise=crisis.exercise,
        created_by=author,
        created_at=ctx.now,
        references_id=references_id,
    )
    ctx.uow.outbox.add_message(message)
    tally = _Tally()
    chunks = _planned_chunks(ctx, crisis, usable, audiences=audiences, lists=lists, tally=tally)
    for planned in chunks:
        _write_deliveries(ctx, message, planned, tally)
    if not tally.by_channel:
        raise InvalidInput(
            "audiences",
            "Aucun destinataire joignable sur les canaux configurés : rien à envoyer.",
        )
    used = tally.by_channel
    check_texts(texts, {n: c for n, c in usable.items() if n in used}, subject=crisis.title)
    _record_sent(crisis, message, tally)
    return SentMessage(message.id, sum(used.values()))


def write_message(ctx: HandlerContext, crisis: Crisis, message: Message, plan: Plan) -> None:
    ctx.uow.outbox.add_message(message)
    tally = _Tally(unreachable=len(plan.unreachable))
    _write_deliveries(ctx, message, plan.deliveries, tally)
    _record_sent(crisis, message, tally)


def _write_deliveries(
    ctx: HandlerContext, message: Message, planned: Sequence[PlannedDelivery], tally: _Tally
) -> None:
    ids = [ctx.new_id() for _ in planned]
    ctx.uow.outbox.add_deliveries(message, planned, ids=ids, now=ctx.now)
    tally.add(planned)


def _record_sent(crisis: Crisis, message: Message, tally: _Tally) -> None:
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
