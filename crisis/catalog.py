"""The channels a service can use, for real events and for exercises, with their limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from channels.contract import Channel, ChannelLimits
from channels.registry import ChannelFactory, LazyChannels, channel_factories
from crisis.clock import Clock
from crisis.delivery.config import DeliveryConfig
from crisis.publishing.channels import CapChannel, FeedChannel
from crisis.publishing.demo_channels import demo_factories

if TYPE_CHECKING:
    from channels.voice import CallAnswer


class CallAnswerRelay:
    """Hands the keys pressed during calls to whoever records them (the bus, once the
    service is wired); until then, and without one, an answer is taken as recorded."""

    def __init__(self) -> None:
        self.target: Callable[[CallAnswer], Awaitable[bool]] | None = None

    async def __call__(self, answer: CallAnswer) -> bool:
        if self.target is None:
            return True
        return await self.target(answer)


@dataclass
class ChannelCatalog:
    config: DeliveryConfig
    production: LazyChannels
    exercise: LazyChannels
    call_answers: CallAnswerRelay = field(default_factory=CallAnswerRelay)

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
    relay = CallAnswerRelay()
    for is_production, channels_config in ((True, config.production), (False, config.exercise)):
        if demonstration:
            factories = demo_factories(engine, clock=clock, production=is_production)
        else:
            factories = channel_factories(channels_config, clock=clock)
        if "voice" in factories:
            factories["voice"] = _answering(factories["voice"], relay)
        factories["feed"] = partial(
            FeedChannel, engine, clock=clock, public=config.public, production=is_production
        )
        factories["cap"] = partial(
            CapChannel, engine, clock=clock, public=config.public, production=is_production
        )
        catalogs[is_production] = LazyChannels(factories)
    return ChannelCatalog(
        config=config, production=catalogs[True], exercise=catalogs[False], call_answers=relay
    )


def _answering(build: ChannelFactory, relay: CallAnswerRelay) -> ChannelFactory:
    def with_answers() -> Channel:
        channel = build()
        channel.answers = relay  # type: ignore[attr-defined]  # the voice channel's
        return channel

    return with_answers
