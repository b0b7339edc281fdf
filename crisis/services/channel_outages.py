"""Failure accounting per channel: one alert when a channel goes down, one when it is back,
one per crisis and channel when deliveries finally fail; fallbacks as soon as it is down.

Called by `record_delivery_outcomes` in the same transaction as the outcomes, so the health
row, the journal entries, the alerts and the fallback deliveries commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from channels.dispatcher import DeliveryResult
from channels.dispatcher import Outcome as DeliveryOutcome
from crisis.domain.crisis import Crisis
from crisis.domain.events import ChannelDown, ChannelRestored, DeliveriesGaveUp
from crisis.domain.messages import Message
from crisis.french import long_datetime, sentence
from crisis.labels import channel_label
from crisis.services.context import HandlerContext
from crisis.services.message_handlers import ALERT_PURPOSES
from crisis.store.channel_health_repository import ChannelHealth

# (ctx, crisis, subject, text, excluded channel) → the alert is written to the outbox.
RaiseAlert = Callable[[HandlerContext, Crisis, str, str, str | None], None]
# (ctx, message, delivery id) → the fallback delivery's id, or None when there is none.
MakeFallback = Callable[[HandlerContext, Message, str], str | None]


@dataclass(frozen=True, slots=True)
class OutageRules:
    failures: int
    minutes: float
    give_up_after: timedelta


def account_channels(
    ctx: HandlerContext,
    crises: dict[str, Crisis],
    messages: dict[str, Message],
    results: Sequence[DeliveryResult],
    *,
    rules: OutageRules,
    raise_alert: RaiseAlert,
    make_fallback: MakeFallback,
) -> None:
    groups: dict[tuple[str, bool], list[DeliveryResult]] = {}
    for result in results:
        exercise = messages[result.message_id].exercise
        groups.setdefault((result.channel, exercise), []).append(result)
    for (channel, exercise), group in groups.items():
        health = ctx.uow.channel_health.get(channel, exercise=exercise)
        was_down = health.down_since is not None

        def fallbacks(health: ChannelHealth = health) -> int:
            return _fallbacks(ctx, messages, health, make_fallback)

        _follow(
            ctx, crises, health, group, rules=rules, raise_alert=raise_alert, fallbacks=fallbacks
        )
        if was_down and health.down_since is not None:
            fallbacks()  # deliveries queued since the channel went down
        _final_failures(ctx, crises, messages, health, group, rules=rules, raise_alert=raise_alert)
        ctx.uow.channel_health.save(health)


def _follow(
    ctx: HandlerContext,
    crises: dict[str, Crisis],
    health: ChannelHealth,
    group: Sequence[DeliveryResult],
    *,
    rules: OutageRules,
    raise_alert: RaiseAlert,
    fallbacks: Callable[[], int],
) -> None:
    """Walk the outcomes in order: acceptances end a failure streak, retries extend it."""
    for result in sorted(group, key=lambda r: r.finished_at):
        if result.outcome is DeliveryOutcome.ACCEPTED:
            if health.down_since is not None:
                _restored(ctx, crises[result.crisis_id], health, result, raise_alert)
            health.consecutive_failures = 0
            health.failing_since = None
            health.down_since = None
            health.gave_up_alerted = []
            health.last_accepted_at = result.accepted_at or result.finished_at
        elif result.outcome is DeliveryOutcome.RETRY and not result.about_recipient:
            # Only retryable failures say something about the channel; a refused number, an
            # interlock refusal, a busy line or a phone nobody answers say something about
            # one recipient.
            health.consecutive_failures += 1
            health.failing_since = health.failing_since or result.finished_at
            if health.down_since is None and _is_down(health, result.finished_at, rules):
                _declare_down(ctx, crises[result.crisis_id], health, result, raise_alert, fallbacks)


def _is_down(health: ChannelHealth, now: datetime, rules: OutageRules) -> bool:
    assert health.failing_since is not None
    return health.consecutive_failures >= rules.failures or now - health.failing_since >= (
        timedelta(minutes=rules.minutes)
    )


def _declare_down(
    ctx: HandlerContext,
    crisis: Crisis,
    health: ChannelHealth,
    result: DeliveryResult,
    raise_alert: RaiseAlert,
    fallbacks: Callable[[], int],
) -> None:
    assert health.failing_since is not None
    health.down_since = result.finished_at
    waiting = ctx.uow.channel_health.waiting_count(health.channel, exercise=health.exercise)
    started = fallbacks()
    crisis.record_event(
        ChannelDown(
            crisis_id=crisis.id,
            channel=health.channel,
            exercise=health.exercise,
            failures=health.consecutive_failures,
            failing_since=health.failing_since,
            waiting=waiting,
            fallbacks=started,
        )
    )
    label = channel_label(health.channel)
    raise_alert(
        ctx,
        crisis,
        f"Canal {label} en panne",
        f"Canal {label} en panne depuis {long_datetime(health.failing_since)} "
        f"({health.consecutive_failures} échecs de suite : {result.error or 'erreur'}). "
        f"{waiting} diffusion(s) en attente, retentées jusqu'à leur abandon ; {started} "
        f"envoyée(s) aussi par un canal de repli. Événement : {crisis.title}.",
        health.channel,
    )


def _restored(
    ctx: HandlerContext,
    crisis: Crisis,
    health: ChannelHealth,
    result: DeliveryResult,
    raise_alert: RaiseAlert,
) -> None:
    assert health.down_since is not None
    restored_at = result.accepted_at or result.finished_at
    crisis.record_event(
        ChannelRestored(
            crisis_id=crisis.id,
            channel=health.channel,
            exercise=health.exercise,
            down_since=health.down_since,
            restored_at=restored_at,
        )
    )
    # What waited out a backoff (up to minutes) leaves now, as the alert says, at the pace
    # of the channel.
    ctx.uow.channel_health.release_waiting(health.channel, exercise=health.exercise, now=ctx.now)
    waiting = ctx.uow.channel_health.waiting_count(health.channel, exercise=health.exercise)
    label = channel_label(health.channel)
    raise_alert(
        ctx,
        crisis,
        f"Canal {label} rétabli",
        f"Canal {label} rétabli le {long_datetime(restored_at)} (en panne depuis "
        f"{long_datetime(health.down_since)}). {waiting} diffusion(s) encore en attente "
        f"partent maintenant. Événement : {crisis.title}.",
        None,
    )


def _fallbacks(
    ctx: HandlerContext,
    messages: dict[str, Message],
    health: ChannelHealth,
    make_fallback: MakeFallback,
) -> int:
    """While the channel is down, everyone waiting on it who has a fallback gets it now."""
    started = 0
    for delivery_id in ctx.uow.channel_health.waiting_without_fallback(
        health.channel, exercise=health.exercise
    ):
        row = ctx.uow.outbox.delivery(delivery_id)
        assert row is not None
        message = messages.get(row.message_id) or ctx.uow.outbox.message(row.message_id)
        assert message is not None
        messages[message.id] = message
        started += make_fallback(ctx, message, delivery_id) is not None
    return started


def _final_failures(
    ctx: HandlerContext,
    crises: dict[str, Crisis],
    messages: dict[str, Message],
    health: ChannelHealth,
    group: Sequence[DeliveryResult],
    *,
    rules: OutageRules,
    raise_alert: RaiseAlert,
) -> None:
    """One alert per crisis on this channel, with the count, for deliveries given up."""
    counts: dict[tuple[str, bool], int] = {}
    for result in group:
        if result.outcome not in (DeliveryOutcome.FAILED, DeliveryOutcome.REFUSED):
            continue
        if messages[result.message_id].purpose in ALERT_PURPOSES:
            continue  # an alert about an alert would loop
        key = (result.crisis_id, result.outcome is DeliveryOutcome.REFUSED)
        counts[key] = counts.get(key, 0) + 1
    for (crisis_id, refused), in_batch in counts.items():
        tag = f"{crisis_id}:refused" if refused else crisis_id
        if tag in health.gave_up_alerted:
            continue
        health.gave_up_alerted = [*health.gave_up_alerted, tag]
        crisis = crises[crisis_id]
        count = in_batch
        if not refused:
            count = max(
                in_batch,
                ctx.uow.channel_health.given_up_count(
                    crisis_id=crisis_id,
                    channel=health.channel,
                    since=health.failing_since,
                    before=ctx.now - rules.give_up_after,
                ),
            )
        crisis.record_event(
            DeliveriesGaveUp(
                crisis_id=crisis_id, channel=health.channel, count=count, refused=refused
            )
        )
        what = "refusée(s) (exercice)" if refused else "en échec définitif"
        raise_alert(
            ctx,
            crisis,
            f"{count} diffusion(s) {what} : {channel_label(health.channel)}",
            f"{count} diffusion(s) {what} ({channel_label(health.channel)}). Les personnes "
            "qui ont un canal de repli le reçoivent ; voir le tableau des diffusions. "
            + sentence(f"Événement : {crisis.title}"),
            health.channel if not refused else None,
        )
