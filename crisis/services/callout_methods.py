"""How a person is called (a cell member paged, an approver): the call-out's methods, and
the page written as a message of its own (marked in an exercise, its SMS never too long)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from channels.contract import Channel
from crisis.delivery.planning import Plan, PlannedDelivery, person_deliveries
from crisis.domain.crisis import Crisis
from crisis.domain.messages import ChannelName, Message, MessagePurpose, MessageTexts, MessageType
from crisis.services.alert_handlers import fit_own_sms
from crisis.services.context import HandlerContext
from crisis.services.message_handlers import write_message


def method_deliveries(
    ctx: HandlerContext,
    name: str,
    addresses: Mapping[str, str | None],
    available: Mapping[str, Channel],
) -> list[PlannedDelivery]:
    """A person's call-out methods (`CRISIS_CALLOUT_METHODS`) in order, each after its delay."""
    methods = ctx.settings.callout_methods
    rows = person_deliveries(
        audience="cellule",
        name=name,
        addresses=addresses,
        channels=[ChannelName(method) for method in methods],
        available=available,
    )
    return [replace(row, delay=timedelta(minutes=methods[row.channel])) for row in rows]


def write_page(
    ctx: HandlerContext,
    crisis: Crisis,
    rows: list[PlannedDelivery],
    *,
    purpose: MessagePurpose,
    variants: Mapping[str, str],
    keep: str,
) -> str:
    """The page's message and its deliveries; `keep`, the end of the SMS never cut (the
    link). Returns the message's id."""
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
