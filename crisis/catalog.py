"""The channels a service can use, for real events and for exercises, with their limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine

from channels.contract import Channel, ChannelLimits
from channels.registry import LazyChannels, channel_factories
from crisis.clock import Clock
from crisis.delivery.config import DeliveryConfig
from crisis.publishing.channels import CapChannel, FeedChannel
from crisis.publishing.demo_channels import demo_factories


@dataclass
class ChannelCatalog:
    config: DeliveryConfig
    production: LazyChannels
    exercise: LazyChannels

    def channels(self, *, exercise: bool) -> Mapping[str, Channel]:
        return self.exercise if exercise else self.production

    def limits(self, name: str, *, exercise: bool) -> ChannelLimits | None:
        channel = self.channels(exercise=exercise).get(name)
        return None if channel is None else channel.limits


def build_catalog(
    config: DeliveryConfig, *, engine: Engine, clock: Clock, demonstration: bool = False
) -> ChannelCatalog:
    """Every configured channel by name; each is built (and its library imported) at first use.

    A demonstration database has the local demonstration channels instead of the providers.
    """
    catalogs: dict[bool, LazyChannels] = {}
    for is_production, channels_config in ((True, config.production), (False, config.exercise)):
        if demonstration:
            factories = demo_factories(engine, clock=clock, production=is_production)
        else:
            factories = channel_factories(channels_config, clock=clock)
        factories["feed"] = partial(
            FeedChannel, engine, clock=clock, public=config.public, production=is_production
        )
        factories["cap"] = partial(
            CapChannel, engine, clock=clock, public=config.public, production=is_production
        )
        catalogs[is_production] = LazyChannels(factories)
    return ChannelCatalog(config=config, production=catalogs[True], exercise=catalogs[False])
