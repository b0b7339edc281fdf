"""Local demonstration channels: they honour the channel contract and the exercise guard,
and « send » by writing the message to the demonstration outbox of the store.

They stand in for every provider channel (SMS, e-mail, Telegram, X, webhook) of a
demonstration database, whatever the channels file says: a demonstration reaches no one.
"""

from __future__ import annotations

import asyncio
from functools import partial

from sqlalchemy import Engine, insert, select

from channels._common import guard_exercise
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
)
from channels.registry import ChannelFactory
from crisis.clock import Clock
from crisis.store.tables import demo_outbox

_PLAIN = ChannelLimits(max_length=None, length_unit=LengthUnit.UNLIMITED, rate_per_second=50.0)

# Each stand-in: how it names its recipients and the limits of the real channel it mimics.
DEMO_CHANNELS: dict[str, tuple[RecipientKind, ChannelLimits]] = {
    "sms": (
        RecipientKind.PHONE,
        ChannelLimits(
            max_length=3,
            length_unit=LengthUnit.SMS_SEGMENTS,
            rate_per_second=50.0,
            max_segments=3,
        ),
    ),
    "email": (
        RecipientKind.EMAIL,
        ChannelLimits(
            max_length=None,
            length_unit=LengthUnit.UNLIMITED,
            rate_per_second=50.0,
            supports_html=True,
        ),
    ),
    "telegram_dm": (
        RecipientKind.TELEGRAM_CHAT,
        ChannelLimits(max_length=4096, length_unit=LengthUnit.UTF16, rate_per_second=50.0),
    ),
    "telegram_public": (
        RecipientKind.BROADCAST,
        ChannelLimits(max_length=4096, length_unit=LengthUnit.UTF16, rate_per_second=50.0),
    ),
    "webhook": (RecipientKind.URL, _PLAIN),
}


class DemoChannel:
    """One demonstration channel, for real events (`production`) or for exercises."""

    def __init__(
        self,
        name: str,
        engine: Engine,
        *,
        clock: Clock,
        production: bool,
    ) -> None:
        self.name = name
        self.recipient_kind, self.limits = DEMO_CHANNELS[name]
        self._engine = engine
        self._clock = clock
        self._production = production

    async def check(self) -> str:
        return "canal de démonstration : les messages restent dans la boîte d'envoi de la console"

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._production, channel=self.name)
        return await asyncio.to_thread(self._record, message)

    def _record(self, message: OutgoingMessage) -> Receipt:
        with self._engine.begin() as connection:
            existing = connection.execute(
                select(demo_outbox.c.sent_at).where(
                    demo_outbox.c.delivery_id == message.delivery_id
                )
            ).first()
            if existing is not None:  # a retry after a crash: « sent » once only
                return Receipt(f"demo-{message.delivery_id}", existing.sent_at)
            now = self._clock.now()
            connection.execute(
                insert(demo_outbox).values(
                    delivery_id=message.delivery_id,
                    channel=self.name,
                    recipient_kind=message.recipient_kind.value,
                    recipient=message.recipient,
                    subject=message.subject,
                    text=message.text,
                    exercise=message.exercise,
                    crisis_id=message.metadata.get("crisis_id"),
                    message_id=message.metadata.get("message_id"),
                    sent_at=now,
                )
            )
        return Receipt(f"demo-{message.delivery_id}", now)


def demo_factories(engine: Engine, *, clock: Clock, production: bool) -> dict[str, ChannelFactory]:
    """How to build every demonstration channel of one catalog, by name."""
    return {
        name: partial(DemoChannel, name, engine, clock=clock, production=production)
        for name in DEMO_CHANNELS
    }
