"""Another channel for the same person when a delivery did not reach them."""

from __future__ import annotations

from crisis.delivery.planning import PlannedDelivery, contact_deliveries
from crisis.domain.messages import ChannelName, Message
from crisis.services.context import HandlerContext, catalog_of


def fallback(ctx: HandlerContext, message: Message, delivery_id: str) -> str | None:
    """Try the configured fallback channel for the same person (SMS when Telegram fails),
    once: a delivery given a fallback when its channel went down keeps that one."""
    catalog = catalog_of(ctx)
    row = ctx.uow.outbox.delivery(delivery_id)
    if row is None or row.contact_id is None:
        return None
    try:
        other = catalog.config.fallbacks.get(ChannelName(row.channel))
    except ValueError:
        return None
    if other is None:
        return None
    existing = ctx.uow.channel_health.fallback_of([row.id]).get(row.id)
    if existing is not None:
        return existing
    contact = ctx.uow.contacts.get(row.contact_id)
    if not contact.active:
        return None  # deactivated since: no other channel either
    available = catalog.channels(exercise=message.exercise)
    planned = contact_deliveries(contact, channels=[other], available=available)
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
