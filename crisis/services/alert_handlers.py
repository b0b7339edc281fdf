"""Internal alerts to the cell: a clock's warning or breach, a callout without an answer, a
delivery that finally failed, each sent to the configured alert recipients."""

from __future__ import annotations

from collections.abc import Mapping

from channels.measure import fit_sms
from crisis.delivery.planning import Plan, PlannedDelivery, alert_deliveries
from crisis.domain.commands import RecordServiceAlert
from crisis.domain.crisis import Crisis
from crisis.domain.events import (
    ClockBreached,
    ClockWarning,
)
from crisis.domain.messages import (
    Message,
    MessagePurpose,
    MessageTexts,
    MessageType,
)
from crisis.domain.vocabulary import CLOCK_LABELS
from crisis.french import long_datetime, sentence
from crisis.services.context import HandlerContext, Outcome, catalog_of
from crisis.services.message_handlers import (
    write_message,
)
from crisis.store.journal import SYSTEM_STREAM

# The SMS parts a message the service writes may take when no SMS channel says otherwise.
DEFAULT_SMS_SEGMENTS = 3


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
    rows = alert_deliveries(
        catalog_of(ctx).config.alerts, exercise=crisis.exercise, available=channels
    )
    if not rows:
        return
    write_own_message(
        ctx, crisis, rows, purpose=purpose, variants={"default": text, "email_subject": subject}
    )


def write_own_message(
    ctx: HandlerContext,
    crisis: Crisis,
    rows: list[PlannedDelivery],
    *,
    purpose: MessagePurpose,
    variants: Mapping[str, str],
    keep: str = "",
) -> str:
    """A message the service writes itself (an alert, a page) and its deliveries: marked in an
    exercise, its SMS shortened but for `keep` (a link). Returns the message's id."""
    texts = MessageTexts.parse(dict(variants))
    if crisis.exercise:
        texts = texts.marked(ctx.settings.exercise_marker)
    texts = fit_own_sms(ctx, texts, exercise=crisis.exercise, keep=keep)
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
    return message.id


def clock_alert_text(event: ClockWarning | ClockBreached, crisis: Crisis) -> tuple[str, str]:
    label = CLOCK_LABELS[event.clock]
    if isinstance(event, ClockBreached):
        subject = f"Échéance dépassée : {label}"
        body = (
            f"DÉPASSEMENT – {label} : l'objectif de {event.target_minutes} minutes après "
            f"l'activation du COD n'est pas tenu (échéance {long_datetime(event.due_at)}). "
            + sentence(f"Événement : {crisis.title}")
        )
    else:
        remaining = int((event.deadline - event.due_at).total_seconds() // 60)
        subject = f"Échéance dans {remaining} min : {label}"
        body = (
            f"ALERTE – {label} : échéance dans {remaining} minutes "
            f"({long_datetime(event.deadline)}). " + sentence(f"Événement : {crisis.title}")
        )
    return subject, body


def on_clock_alert(event: object, ctx: HandlerContext) -> None:
    assert isinstance(event, ClockWarning | ClockBreached)
    crisis = next(c for c in ctx.touched if c.id == event.crisis_id)
    subject, body = clock_alert_text(event, crisis)
    raise_internal_alert(
        ctx, crisis, purpose=MessagePurpose.CLOCK_ALERT, subject=subject, text=body
    )


def record_service_alert(cmd: RecordServiceAlert, ctx: HandlerContext) -> Outcome:
    """The alert has left already (see `crisis.scheduling.service_alerts`): journal it."""
    return Outcome(
        result=None,
        stream=SYSTEM_STREAM,
        journal={"accepted": len(cmd.accepted), "failed": len(cmd.failed)},
    )
