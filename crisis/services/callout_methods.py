"""How a person is called (a cell member paged, an approver): the call-out's methods."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from channels.contract import Channel
from crisis.delivery.planning import PlannedDelivery, person_deliveries
from crisis.domain.messages import ChannelName
from crisis.services.context import HandlerContext


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
