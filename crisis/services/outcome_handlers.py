"""Delivery outcomes: what the dispatcher learnt, applied one batch per transaction, with
failover to another channel, and retries asked for by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from channels.dispatcher import DeliveryResult
from channels.dispatcher import Outcome as DeliveryOutcome
from crisis.domain.commands import RecordDeliveryOutcomes, RetryDelivery
from crisis.domain.crisis import Crisis
from crisis.domain.errors import Conflict, NotFound
from crisis.domain.events import (
    AcceptedDelivery,
    DeliveriesAccepted,
    DeliveryFailed,
    DeliveryRequeued,
)
from crisis.domain.messages import (
    ChannelName,
    Message,
    MessagePurpose,
)
from crisis.services.alert_handlers import raise_internal_alert
from crisis.services.channel_outages import OutageRules, account_channels
from crisis.services.context import HandlerContext, Outcome
from crisis.services.fallbacks import fallback
from crisis.services.receipt_handlers import record_parts
from crisis.store.outbox_repository import Accepted, AttemptRow, DeliveryStatus, RecordedState
from crisis.store.receipts_repository import route_of


def record_delivery_outcomes(cmd: RecordDeliveryOutcomes, ctx: HandlerContext) -> Outcome:
    """Apply what the dispatcher learnt: one transaction per batch; one journal entry per
    message, channel and audience for the batch's acceptances, one per failure."""
    results: Sequence[DeliveryResult] = cmd.results
    crises: dict[str, Crisis] = {}
    if _may_record_parts(ctx, results):
        ctx.uow.receipts.lock()  # before the crises, as the receipts' handler does
    for crisis_id in dict.fromkeys(r.crisis_id for r in results):
        # Locked before any delivery row is read: whoever records the same delivery (a
        # duplicate after a crash) waits here and then sees it accepted.
        crisis = crises[crisis_id] = ctx.uow.crises.get(crisis_id, for_update=True)
        ctx.touched.append(crisis)
    states = ctx.uow.outbox.recorded_states([r.delivery_id for r in results])
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
    accepted: dict[str, Accepted] = {}  # by delivery id
    for result in results:
        message = messages.get(result.message_id) or ctx.uow.outbox.message(result.message_id)
        assert message is not None
        messages[message.id] = message
        state = states.get(result.delivery_id)
        _apply(ctx, crises[result.crisis_id], message, result, state, accepted=accepted)
    ctx.uow.outbox.mark_accepted(list(accepted.values()))
    _record_parts(ctx, crises, messages, results, accepted)
    _journal_acceptances(
        crises,
        messages,
        results,
        states,
        accepted,
        elus_met_on_delivery=ctx.settings.elus_met_on == "delivery",
    )
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
            make_fallback=fallback,
        )
    for crisis in crises.values():
        if crisis.events:
            ctx.uow.crises.save(crisis)
    return Outcome(result=len(results), stream=next(iter(crises), "system"))


def _sends_receipts(ctx: HandlerContext, channel_name: str, *, exercise: bool) -> bool:
    assert ctx.catalog is not None
    channels = ctx.catalog.channels(exercise=exercise)
    return channel_name in channels and channels[channel_name].limits.handset_receipts


def _may_record_parts(ctx: HandlerContext, results: Sequence[DeliveryResult]) -> bool:
    if ctx.catalog is None:
        return False
    names = {r.channel for r in results if r.outcome is DeliveryOutcome.ACCEPTED}
    return any(
        _sends_receipts(ctx, name, exercise=exercise)
        for name in names
        for exercise in (False, True)
    )


def _record_parts(
    ctx: HandlerContext,
    crises: dict[str, Crisis],
    messages: dict[str, Message],
    results: Sequence[DeliveryResult],
    accepted: dict[str, Accepted],
) -> None:
    """The provider's id of each part of the SMS just accepted on a channel that sends
    receipts, to match them (`crisis.services.receipt_handlers`)."""
    if ctx.catalog is None or not accepted:
        return
    by_route: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for result in results:
        if result.delivery_id not in accepted or not result.provider_message_id:
            continue
        exercise = messages[result.message_id].exercise
        if not _sends_receipts(ctx, result.channel, exercise=exercise):
            continue
        ids = result.provider_part_ids or (result.provider_message_id,)
        route = route_of(result.channel, exercise=exercise)
        by_route.setdefault(route, []).append((result.delivery_id, ids))
    for route, parts in by_route.items():
        record_parts(ctx, route, parts, crises)


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


def _journal_acceptances(
    crises: dict[str, Crisis],
    messages: dict[str, Message],
    results: Sequence[DeliveryResult],
    states: dict[str, RecordedState],
    accepted: dict[str, Accepted],
    *,
    elus_met_on_delivery: bool,
) -> None:
    """The batch's new acceptances, one event per message, channel and audience, in the
    order the batch was claimed."""
    results_by_id = {r.delivery_id: r for r in results}
    groups: dict[tuple[str, str, str, str], list[AcceptedDelivery]] = {}
    for delivery_id, recorded in accepted.items():  # in claim order, each delivery once
        result = results_by_id[delivery_id]
        if _round_call(messages[result.message_id], result.channel):
            continue
        key = (result.crisis_id, result.message_id, result.channel, result.audience)
        groups.setdefault(key, []).append(
            AcceptedDelivery(
                delivery_id=delivery_id,
                queued_at=states[delivery_id].queued_at,
                accepted_at=recorded.accepted_at,
                provider_message_id=recorded.provider_message_id,
                attempts=recorded.attempts,
            )
        )
    for (crisis_id, message_id, channel, audience), deliveries in groups.items():
        crisis = crises[crisis_id]
        crisis.deliveries_accepted(
            DeliveriesAccepted(
                crisis_id=crisis.id,
                message_id=message_id,
                channel=channel,
                audience=audience,
                deliveries=tuple(deliveries),
                fallbacks=tuple(
                    d.delivery_id for d in deliveries if states[d.delivery_id].fallback_of
                ),
            ),
            factual=messages[message_id].purpose is MessagePurpose.FACTUAL,
            elus_met_on_delivery=elus_met_on_delivery,
        )


def _round_call(message: Message, channel: str) -> bool:
    """A call of the call-out: journalled with its round's summary (CalloutRoundCalls), not
    one entry per answered call; the delivery keeps its own acceptance."""
    return message.purpose is MessagePurpose.CALLOUT and channel == ChannelName.VOICE.value


def _apply(
    ctx: HandlerContext,
    crisis: Crisis,
    message: Message,
    result: DeliveryResult,
    state: RecordedState | None,
    *,
    accepted: dict[str, Accepted],
) -> None:
    """One outcome. An acceptance is added to `accepted` (recorded and journalled with the
    whole batch) unless the delivery was accepted already: a duplicate sent after a crash,
    whose first acceptance is the one the journal keeps (the crisis lock makes the status
    read here the status at commit)."""
    outbox = ctx.uow.outbox
    if result.outcome is DeliveryOutcome.ACCEPTED:
        assert result.accepted_at is not None
        assert state is not None
        if state.status != DeliveryStatus.ACCEPTED and result.delivery_id not in accepted:
            accepted[result.delivery_id] = Accepted(
                delivery_id=result.delivery_id,
                provider_message_id=result.provider_message_id,
                accepted_at=result.accepted_at,
                finished_at=result.finished_at,
                attempts=result.attempt,
                person_outcome=result.person_outcome,
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
    fallback_id = None if refused else fallback(ctx, message, result.delivery_id)
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
            fallback_of=state.fallback_of if state is not None else None,
        )
    )


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
