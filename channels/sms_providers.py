"""The SMS channel of a configuration: the generic HTTP gateway or an SMPP operator.

Each provider's module (aiohttp for one, smpplib for the other) is imported only when its
channel is built.
"""

from __future__ import annotations

from channels.config import SmppConfig, SmsConfig
from channels.contract import Channel
from crisis.clock import Clock


def sms_channel(config: SmsConfig | SmppConfig, *, clock: Clock, name: str = "sms") -> Channel:
    if isinstance(config, SmppConfig):
        from channels.smpp.channel import SmppChannel

        return SmppChannel(config, clock=clock, name=name)
    from channels.sms import SmsChannel

    return SmsChannel(config, clock=clock, name=name)
