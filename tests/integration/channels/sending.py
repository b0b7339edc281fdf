"""Sending one message through an HTTP channel in a test, the channel closed on its own loop."""

from __future__ import annotations

import asyncio
from typing import Protocol

import pytest

from channels.contract import OutgoingMessage, Receipt, RecipientKind, SendError


class ClosableChannel(Protocol):
    async def send(self, message: OutgoingMessage) -> Receipt: ...

    async def aclose(self) -> None: ...


def outgoing(recipient: str, kind: RecipientKind) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id="d-1",
        recipient_kind=kind,
        recipient=recipient,
        text="Crue de l'Orge : évacuation des berges.",
        exercise=False,
    )


def refusal(channel: ClosableChannel, message: OutgoingMessage) -> SendError:
    """The SendError the channel raises for this message (the test fails if it sends it)."""

    async def attempt() -> None:
        try:
            await channel.send(message)
        finally:
            await channel.aclose()

    with pytest.raises(SendError) as info:
        asyncio.run(attempt())
    return info.value
