"""Build the configured channel instances from one typed configuration.

Each section is optional: a channel without a section is simply not available. Secrets are
SecretStr values; loading them (environment, secrets file) is the settings module's job.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from channels.contract import Channel
from channels.email import EmailChannel, EmailConfig
from channels.sms import SmsChannel, SmsConfig
from channels.telegram import TelegramConfig, telegram_dm, telegram_public
from channels.webhook import WebhookChannel, WebhookConfig
from channels.x import XChannel, XConfig
from crisis.clock import Clock


class ChannelsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    telegram: TelegramConfig | None = None
    x: XConfig | None = None
    email: EmailConfig | None = None
    sms: SmsConfig | None = None
    webhook: WebhookConfig | None = None


def build_channels(config: ChannelsConfig, *, clock: Clock) -> dict[str, Channel]:
    """Channel instances by name; nothing connects until the first send or check."""
    channels: dict[str, Channel] = {}
    if config.telegram is not None:
        channels["telegram_dm"] = telegram_dm(config.telegram, clock=clock)
        if config.telegram.public_chat:
            channels["telegram_public"] = telegram_public(config.telegram, clock=clock)
    if config.x is not None:
        channels["x"] = XChannel(config.x, clock=clock)
    if config.email is not None:
        channels["email"] = EmailChannel(config.email, clock=clock)
    if config.sms is not None:
        channels["sms"] = SmsChannel(config.sms, clock=clock)
    if config.webhook is not None:
        channels["webhook"] = WebhookChannel(config.webhook, clock=clock)
    return channels


async def close_channels(channels: dict[str, Channel]) -> None:
    """Close the connection pools of the channels that hold one."""
    for channel in channels.values():
        aclose = getattr(channel, "aclose", None)
        if aclose is not None:
            await aclose()
