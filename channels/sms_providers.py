"""The SMS channel of a configuration: the generic HTTP gateway, an SMPP operator or
OVHcloud's SMS API.

Each provider's module (aiohttp, smpplib) is imported only when its channel is built.
"""

from __future__ import annotations

from channels.config import OvhSmsConfig, SmppConfig, SmsConfig
from channels.contract import Channel
from crisis.clock import Clock


def sms_channel(
    config: SmsConfig | SmppConfig | OvhSmsConfig, *, clock: Clock, name: str = "sms"
) -> Channel:
    if isinstance(config, OvhSmsConfig):
        from channels.ovh.channel import OvhSmsChannel

        return OvhSmsChannel(config, clock=clock, name=name)
    if isinstance(config, SmppConfig):
        from channels.smpp.channel import SmppChannel

        return SmppChannel(config, clock=clock, name=name)
    from channels.sms import SmsChannel

    return SmsChannel(config, clock=clock, name=name)
