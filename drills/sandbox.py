"""Sandbox channels for drills: they accept and record, or fail as the scenario's faults say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from crisis.clock import Clock

SANDBOX_RATE = 1000.0
RATE_LIMIT_RETRY_AFTER = 30.0


@dataclass(frozen=True, slots=True)
class FaultWindow:
    start: datetime
    end: datetime
    mode: str  # "down" or "rate_limit"


@dataclass
class SandboxChannel:
    """Implements the channel contract without any provider; production is never true."""

    name: str
    recipient_kind: RecipientKind
    clock: Clock
    limits: ChannelLimits = field(
        default_factory=lambda: ChannelLimits(
            max_length=None, length_unit=LengthUnit.UNLIMITED, rate_per_second=SANDBOX_RATE
        )
    )
    faults: list[FaultWindow] = field(default_factory=list)
    sent: list[OutgoingMessage] = field(default_factory=list)
    refused: int = 0

    def _fault(self) -> FaultWindow | None:
        now = self.clock.now()
        return next((f for f in self.faults if f.start <= now < f.end), None)

    async def send(self, message: OutgoingMessage) -> Receipt:
        if not message.exercise:
            raise SendError(
                "canal d'exercice : seuls les messages d'exercice y passent", retryable=False
            )
        fault = self._fault()
        if fault is not None:
            self.refused += 1
            if fault.mode == "rate_limit":
                raise SendError(
                    f"{self.name} limite le débit (429 simulé)",
                    retryable=True,
                    retry_after=RATE_LIMIT_RETRY_AFTER,
                )
            raise SendError(f"{self.name} est en panne (panne simulée)", retryable=True)
        self.sent.append(message)
        return Receipt(f"{self.name}-{len(self.sent)}", self.clock.now())

    async def check(self) -> str:
        return "canal d'exercice simulé"


SANDBOXED = {
    "telegram_dm": RecipientKind.TELEGRAM_CHAT,
    "telegram_public": RecipientKind.BROADCAST,
    "x": RecipientKind.BROADCAST,
    "email": RecipientKind.EMAIL,
    "sms": RecipientKind.PHONE,
    "webhook": RecipientKind.BROADCAST,
}


def sandbox_channels(
    clock: Clock, faults: dict[str, list[FaultWindow]]
) -> dict[str, SandboxChannel]:
    return {
        name: SandboxChannel(
            name=name, recipient_kind=kind, clock=clock, faults=faults.get(name, [])
        )
        for name, kind in SANDBOXED.items()
    }


def fault_windows(
    start: datetime, spans: Sequence[tuple[str, timedelta, timedelta, str]]
) -> dict[str, list[FaultWindow]]:
    windows: dict[str, list[FaultWindow]] = {}
    for channel, begin, end, mode in spans:
        windows.setdefault(channel, []).append(FaultWindow(start + begin, start + end, mode))
    return windows
