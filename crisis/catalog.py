"""The channels a service can use, for real events and for exercises, with their limits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from channels.contract import Channel, ChannelLimits
from channels.registry import build_channels
from crisis.clock import Clock
from crisis.delivery.config import DeliveryConfig
from crisis.publishing.channels import CapChannel, FeedChannel


@dataclass
class ChannelCatalog:
    config: DeliveryConfig
    production: dict[str, Channel]
    exercise: dict[str, Channel]

    def channels(self, *, exercise: bool) -> dict[str, Channel]:
        return self.exercise if exercise else self.production

    def limits(self, name: str, *, exercise: bool) -> ChannelLimits | None:
        channel = self.channels(exercise=exercise).get(name)
        return None if channel is None else channel.limits


def build_catalog(config: DeliveryConfig, *, engine: Engine, clock: Clock) -> ChannelCatalog:
    production = build_channels(config.production, clock=clock)
    exercise = build_channels(config.exercise, clock=clock)
    for channels, is_production in ((production, True), (exercise, False)):
        channels["feed"] = FeedChannel(
            engine, clock=clock, public=config.public, production=is_production
        )
        channels["cap"] = CapChannel(
            engine, clock=clock, public=config.public, production=is_production
        )
    return ChannelCatalog(config=config, production=production, exercise=exercise)
