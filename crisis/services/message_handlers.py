"""Sending: a message becomes outbox rows in the same transaction; outcomes come back here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from channels.contract import Channel
from channels.dispatcher import DeliveryResult
from channels.dispatcher import Outcome as DeliveryOutcome
from channels.measure import fit_sms
from crisis.delivery.catalog import ChannelCatalog
from crisis.delivery.config import AlertRecipient
from crisis.delivery.planning import (
    Plan,
    PlannedDelivery,
    broadcast_deliveries,
    check_texts,
    contact_deliveries,
    person_deliveries,
)
from crisis.domain.commands import RecordDeliveryOutcomes, RetryDelivery, SendMessage
from crisis.domain.contacts import Contact
from crisis.domain.crisis import Crisis
from crisis.domain.draft_events import DraftComposed, DraftSubmitted
from crisis.domain.drafts import Draft, DraftOrigin, DraftState, needs_approval
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.events import (
    ClockBreached,
    ClockWarning,
    DeliveryAccepted,
    DeliveryFailed,
    DeliveryRequeued,
    MessageSent,
)
from crisis.domain.messages import (
    ChannelName,
    Message,
    MessagePurpose,
    MessageTexts,
    MessageType,
)
from crisis.domain.vocabulary import CLOCK_LABELS, Audience, CrisisState
from crisis.french import long_datetime
from crisis.services.channel_outages import OutageRules, account_channels
from crisis.services.context import HandlerContext, Outcome
from crisis.store.outbox_repository import AttemptRow, DeliveryRow, DeliveryStatus

# The SMS parts a message the service writes may take when no SMS channel says otherwise.
DEFAULT_SMS_SEGMENTS = 3
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


def _plan(
    ctx: HandlerContext,
    crisis: Crisis,
    channels: dict[str, Channel],
    *,
    audiences: Sequence[Audience],
    lists: Sequence[str],
) -> Plan:
    catalog = catalog_of(ctx)
    audience_channels = catalog.config.audiences
    planned: list[PlannedDelivery] = []
    unreachable: list[str] = []
    seen_contacts: set[str] = set()

    def add_contact_rows(people: Iterable[Contact], channel_names: Sequence[ChannelName]) -> None:
        for contact in people:
            if contact.id in seen_contacts:
                continue
            seen_contacts.add(contact.id)
            rows = contact_deliveries(contact, channels=channel_names, available=channels)
            if rows:
                planned.extend(rows)
            else:
                unreachable.append(contact.id)

    for audience in audiences:
        if audience is Audience.PUBLIC:
            planned.extend(
                broadcast_deliveries(
                    channels=audience_channels.get(audience, []), available=channels
                )
            )
        else:
            people = ctx.uow.contacts.resolve(audience, exercise=crisis.exercise)
            add_contact_rows(people, audience_channels.get(audience, []))
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
        add_contact_rows(members, person_channels)
    return Plan(deliveries=planned, unreachable=unreachable)


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
    """Write a factual message and its outbox rows (the caller saves the crisis)."""
    if crisis.exercise:
        texts = texts.marked(ctx.settings.exercise_marker)
    usable = usable_channels(catalog_of(ctx), exercise=crisis.exercise, restrict=channels)
    plan = _plan(ctx, crisis, usable, audiences=audiences, lists=lists)
    if not plan.deliveries:
        raise InvalidInput(
            "audiences",
            "Aucun destinataire joignable sur les canaux configurés : rien à envoyer.",
        )
    used = {p.channel for p in plan.deliveries}
    check_texts(texts, {n: c for n, c in usable.items() if n in used}, subject=crisis.title)
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
    write_message(ctx, crisis, message, plan)
    return SentMessage(message.id, len(plan.deliveries))


def write_message(ctx: HandlerContext, crisis: Crisis, message: Message, plan: Plan) -> None:
    ctx.uow.outbox.add_message(message)
    ids = [ctx.new_id() for _ in plan.deliveries]
    ctx.uow.outbox.add_deliveries(message, plan.deliveries, ids=ids, now=ctx.now)
    by_channel: dict[str, int] = {}
    for planned in plan.deliveries:
        by_channel[planned.channel] = by_channel.get(planned.channel, 0) + 1
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
            deliveries=dict(sorted(by_channel.items())),
            unreachable=len(plan.unreachable),
        )
    )


def _alert_rows(
    ctx: HandlerContext, *, exercise: bool, channels: dict[str, Channel]
) -> list[PlannedDelivery]:
    config = catalog_of(ctx).config.alerts
    rows: list[PlannedDelivery] = []
    recipients: list[AlertRecipient] = [r for r in config.recipients if r.exercise or not exercise]
    for recipient in recipients:
        rows.extend(
            person_deliveries(
                audience=recipient.role,
                name=recipient.name,
                addresses={
                    "email": recipient.email,
                    "mobile": recipient.mobile,
                    "telegram_chat_id": recipient.telegram_chat_id,
                },
                channels=config.channels,
                available=channels,
            )
        )
    return rows


def fit_own_sms(
    ctx: HandlerContext, texts: MessageTexts, *, exercise: bool, keep: str = ""
) -> MessageTexts:
    """A message the service writes itself never fails for its length: its SMS is shortened.

    `keep`, the end of the SMS text (the link to open, the number to call), stays whole.
    """
    sms_channel = ctx.catalog.channels(exercise=exercise).get("sms") if ctx.catalog else None
    limit = (sms_channel.limits.max_segments if sms_channel else None) or DEFAULT_SMS_SEGMENTS
    sms = texts.get("sms")
    head, tail = (sms[: -len(keep)], keep) if keep and sms.endswith(keep) else (sms, "")
    fitted = fit_sms(head, keep=tail, max_segments=limit)
    return MessageTexts(variants={**texts.variants, "sms": fitted})


def raise_internal_alert(
    ctx: HandlerContext,
    crisis: Crisis,
    *,
    purpose: MessagePurpose,
    subject: str,
    text: str,
    excluded_channel: str | None = None,
) -> None:
    """Send an alert to the duty officer and the cabinet through their configured channels
    (but `excluded_channel`, the one that is down)."""
    if ctx.catalog is None:
        return  # no channels wired (a bare CLI): the journal entry is the alert
    channels = {
        name: channel
        for name, channel in ctx.catalog.channels(exercise=crisis.exercise).items()
        if name != excluded_channel
    }
    rows = _alert_rows(ctx, exercise=crisis.exercise, channels=channels)
    if not rows:
        return
    texts = MessageTexts.parse({"default": text, "email_subject": subject})
    if crisis.exercise:
        texts = texts.marked(ctx.settings.exercise_marker)
    texts = fit_own_sms(ctx, texts, exercise=crisis.exercise)
    message = Message(
        id=ctx.new_id(),
        crisis_id=crisis.id,
        purpose=purpose,
        msg_type=MessageType.ALERT,
        audiences=(),
        lists=(),
        texts=texts,
        exercise=crisis.exercise,
        created_by=ctx.actor.name,
        created_at=ctx.now,
    )
    write_message(ctx, crisis, message, Plan(deliveries=rows, unreachable=[]))


def clock_alert_text(event: ClockWarning | ClockBreached, crisis: Crisis) -> tuple[str, str]:
    label = CLOCK_LABELS[event.clock]
    if isinstance(event, ClockBreached):
        subject = f"Échéance dépassée : {label}"
        body = (
            f"DÉPASSEMENT – {label} : l'objectif de {event.target_minutes} minutes après "
            f"l'activation du COD n'est pas tenu (échéance {long_datetime(event.due_at)}). "
            f"Événement : {crisis.title}."
        )
    else:
        remaining = int((event.deadline - event.due_at).total_seconds() // 60)
        subject = f"Échéance dans {remaining} min : {label}"
        body = (
            f"ALERTE – {label} : échéance dans {remaining} minutes "
            f"({long_datetime(event.deadline)}). Événement : {crisis.title}."
        )
    return subject, body


def on_clock_alert(event: object, ctx: HandlerContext) -> None:
    assert isinstance(event, ClockWarning | ClockBreached)
    crisis = next(c for c in ctx.touched if c.id == event.crisis_id)
    subject, body = clock_alert_text(event, crisis)
    raise_internal_alert(
        ctx, crisis, purpose=MessagePurpose.CLOCK_ALERT, subject=subject, text=body
    )


def record_delivery_outcomes(cmd: RecordDeliveryOutcomes, ctx: HandlerContext) -> Outcome:
    """Apply what the dispatcher learnt: one transaction per batch, events per delivery."""
    results: Sequence[DeliveryResult] = cmd.results
    crises: dict[str, Crisis] = {}
    for crisis_id in dict.fromkeys(r.crisis_id for r in results):
        # Locked before any delivery row is read: whoever records the same delivery (a
        # duplicate after a crash) waits here and then sees it accepted.
        crisis = crises[crisis_id] = ctx.uow.crises.get(crisis_id, for_update=True)
        ctx.touched.append(crisis)
    rows = ctx.uow.outbox.deliveries_by_id([r.delivery_id for r in results])
    ctx.uow.outbox.add_attempts(
        [
            AttemptRow(
                delivery_id=r.delivery_id,
                attempt=r.attempt,
                worker=cmd.worker,
                started_at=r.started_at,
                finished_at=r.finished_at,
                outcome=r.outcome.value,
                error=r.error,
                retry_after=r.retry_after,
            )
            for r in results
        ]
    )
    messages: dict[str, Message] = {}
    for result in results:
        message = messages.get(result.message_id) or ctx.uow.outbox.message(result.message_id)
        assert message is not None
        messages[message.id] = message
        _apply(ctx, crises[result.crisis_id], message, result, rows.get(result.delivery_id))
    if ctx.catalog is not None:
        config = ctx.catalog.config
        account_channels(
            ctx,
            crises,
            messages,
            results,
            rules=OutageRules(
                failures=config.alerts.outage_failures,
                minutes=config.alerts.outage_minutes,
                give_up_after=timedelta(minutes=config.dispatcher.retry.give_up_after_minutes),
            ),
            raise_alert=_delivery_alert,
            make_fallback=_fallback,
        )
    for crisis in crises.values():
        if crisis.events:
            ctx.uow.crises.save(crisis)
    return Outcome(result=len(results), stream=next(iter(crises), "system"))


def _delivery_alert(
    ctx: HandlerContext, crisis: Crisis, subject: str, text: str, excluded: str | None
) -> None:
    raise_internal_alert(
        ctx,
        crisis,
        purpose=MessagePurpose.DELIVERY_ALERT,
        subject=subject,
        text=text,
        excluded_channel=excluded,
    )


def _apply(
    ctx: HandlerContext,
    crisis: Crisis,
    message: Message,
    result: DeliveryResult,
    row: DeliveryRow | None,
) -> None:
    outbox = ctx.uow.outbox
    if result.outcome is DeliveryOutcome.ACCEPTED:
        assert result.accepted_at is not None
        assert row is not None
        if outbox.mark_accepted(
            result.delivery_id,
            provider_message_id=result.provider_message_id,
            accepted_at=result.accepted_at,
            attempts=result.attempt,
            finished_at=result.finished_at,
        ):
            crisis.delivery_accepted(
                DeliveryAccepted(
                    crisis_id=crisis.id,
                    delivery_id=result.delivery_id,
                    message_id=message.id,
                    channel=result.channel,
                    audience=result.audience,
                    queued_at=row.queued_at,
                    accepted_at=result.accepted_at,
                    provider_message_id=result.provider_message_id,
                    attempts=result.attempt,
                ),
                factual=message.purpose is MessagePurpose.FACTUAL,
            )
        return
    if result.outcome is DeliveryOutcome.RETRY:
        assert result.next_attempt_at is not None
        outbox.mark_retry(
            result.delivery_id,
            attempts=result.attempt,
            next_attempt_at=result.next_attempt_at,
            error=result.error or "",
        )
        return
    refused = result.outcome is DeliveryOutcome.REFUSED
    status = DeliveryStatus.REFUSED if refused else DeliveryStatus.FAILED
    if not outbox.mark_finished(
        result.delivery_id,
        status=status,
        attempts=result.attempt if not refused else result.attempt - 1,
        error=result.error or "",
        finished_at=result.finished_at,
    ):
        return
    fallback_id = None if refused else _fallback(ctx, message, result.delivery_id)
    crisis.record_event(
        DeliveryFailed(
            crisis_id=crisis.id,
            delivery_id=result.delivery_id,
            message_id=message.id,
            channel=result.channel,
            audience=result.audience,
            reason=result.error or "",
            attempts=result.attempt,
            refused=refused,
            fallback_delivery_id=fallback_id,
        )
    )


def _fallback(ctx: HandlerContext, message: Message, delivery_id: str) -> str | None:
    """Try the configured fallback channel for the same person (SMS when Telegram fails),
    once: a delivery given a fallback when its channel went down keeps that one."""
    catalog = catalog_of(ctx)
    row = ctx.uow.outbox.delivery(delivery_id)
    if row is None or row.contact_id is None:
        return None
    try:
        fallback = catalog.config.fallbacks.get(ChannelName(row.channel))
    except ValueError:
        return None
    if fallback is None:
        return None
    existing = ctx.uow.channel_health.fallback_of([row.id]).get(row.id)
    if existing is not None:
        return existing
    contact = ctx.uow.contacts.get(row.contact_id)
    available = catalog.channels(exercise=message.exercise)
    planned = contact_deliveries(contact, channels=[fallback], available=available)
    if not planned:
        return None
    new_id = ctx.new_id()
    audience_row = PlannedDelivery(
        audience=row.audience,
        channel=planned[0].channel,
        recipient_kind=planned[0].recipient_kind,
        recipient=planned[0].recipient,
        recipient_name=planned[0].recipient_name,
        contact_id=planned[0].contact_id,
    )
    ctx.uow.outbox.add_deliveries(
        message, [audience_row], ids=[new_id], now=ctx.now, fallback_of=row.id
    )
    return new_id


def retry_delivery(cmd: RetryDelivery, ctx: HandlerContext) -> Outcome:
    row = ctx.uow.outbox.delivery(cmd.delivery_id)
    if row is None:
        raise NotFound(f"Aucune diffusion ne porte l'identifiant « {cmd.delivery_id} ».")
    crisis = ctx.uow.crises.get(row.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    if row.status not in (DeliveryStatus.FAILED, DeliveryStatus.REFUSED):
        raise Conflict("Seule une diffusion en échec peut être relancée.")
    if row.status == DeliveryStatus.REFUSED:
        raise Conflict(
            "Cette diffusion a été refusée par le verrou d'exercice : elle ne sera jamais relancée."
        )
    ctx.uow.outbox.requeue(row.id, now=ctx.now)
    crisis.record_event(
        DeliveryRequeued(
            crisis_id=crisis.id, delivery_id=row.id, message_id=row.message_id, channel=row.channel
        )
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=row.id, stream=crisis.id)
