"""Build the configured channel instances from one typed configuration (`channels.config`).

Each section is optional: a channel without a section is simply not available. Secrets are
SecretStr values; loading them (environment, secrets file) is the settings module's job.

A channel's module, and the provider library it wraps, is imported when the channel is first
built: `LazyChannels` knows every configured name at once and builds each on first use.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator, Mapping

from pydantic import BaseModel

from channels.config import ChannelsConfig
from channels.contract import Channel
from crisis.clock import Clock

ChannelFactory = Callable[[], Channel]


# Each channel: the module that builds it, its constructor there, its configuration section.
_BUILDERS: dict[str, tuple[str, str, str]] = {
    "telegram_dm": ("channels.telegram", "telegram_dm", "telegram"),
    "telegram_public": ("channels.telegram", "telegram_public", "telegram"),
    "x": ("channels.x", "XChannel", "x"),
    "email": ("channels.email", "EmailChannel", "email"),
    "sms": ("channels.sms_providers", "sms_channel", "sms"),
    "webhook": ("channels.webhook", "WebhookChannel", "webhook"),
    "voice": ("channels.voice", "VoiceChannel", "voice"),
}

# Modules a builder above chooses between (the SMS channel's providers).
_PROVIDER_MODULES = {"channels.sms", "channels.smpp.channel"}


def _factory(module: str, constructor: str, section: BaseModel, clock: Clock) -> ChannelFactory:
    def build() -> Channel:
        channel: Channel = getattr(importlib.import_module(module), constructor)(
            section, clock=clock
        )
        return channel

    return build


def channel_factories(config: ChannelsConfig, *, clock: Clock) -> dict[str, ChannelFactory]:
    """How to build each configured channel, by name; nothing is imported or built yet."""
    factories: dict[str, ChannelFactory] = {}
    for name, (module, constructor, key) in _BUILDERS.items():
        section: BaseModel | None = getattr(config, key)
        if section is None:
            continue
        if name == "telegram_public" and not getattr(section, "public_chat", None):
            continue  # a bot without a public channel sends direct messages only
        factories[name] = _factory(module, constructor, section, clock)
    return factories


def import_channel_modules() -> None:
    """Load every channel's module and provider library ahead of its first use (a long-running
    process: its first message would otherwise wait for them, 0.1 to 0.3 s each)."""
    for module in sorted({module for module, _, _ in _BUILDERS.values()} | _PROVIDER_MODULES):
        importlib.import_module(module)


def build_channels(config: ChannelsConfig, *, clock: Clock) -> dict[str, Channel]:
    """Every configured channel, built now; nothing connects until the first send or check."""
    return {name: build() for name, build in channel_factories(config, clock=clock).items()}


class LazyChannels(Mapping[str, Channel]):
    """The configured channels by name, each built the first time it is looked up."""

    def __init__(self, factories: Mapping[str, ChannelFactory]) -> None:
        self._factories = dict(factories)
        self._built: dict[str, Channel] = {}
        self._lock = threading.Lock()  # request threads and the dispatcher's share it

    def __getitem__(self, name: str) -> Channel:
        channel = self._built.get(name)
        if channel is not None:
            return channel
        with self._lock:
            if name not in self._built:
                self._built[name] = self._factories[name]()
            return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def provide(self, channels: Mapping[str, Channel]) -> None:
        """Use these instances under these names (a drill's sandboxed channels)."""
        with self._lock:
            for name, channel in channels.items():
                self._factories[name] = _already(channel)
                self._built[name] = channel

    def built(self) -> dict[str, Channel]:
        """The channels built so far: those that may hold a connection pool."""
        with self._lock:
            return dict(self._built)


def _already(channel: Channel) -> ChannelFactory:
    return lambda: channel


async def close_channels(channels: Mapping[str, Channel]) -> None:
    """Close the connection pools of the channels that hold one (only those built, if lazy)."""
    opened = channels.built() if isinstance(channels, LazyChannels) else channels
    for channel in opened.values():
        aclose = getattr(channel, "aclose", None)
        if aclose is not None:
            await aclose()
