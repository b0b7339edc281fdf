"""The receipt recorder: receipts arriving together share one command; a receipt is answered
True only once recorded, False (the SMSC sends it again) when recording failed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from channels.contract import HandsetReceipt
from crisis.domain.commands import RecordHandsetReceipts
from crisis.receipt_recorder import ReceiptRecorder

NOW = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)


class FakeBus:
    """Records the commands it is given; fails while `failing`."""

    def __init__(self, *, failing: bool = False) -> None:
        self.commands: list[RecordHandsetReceipts] = []
        self.failing = failing

    def handle(self, command: RecordHandsetReceipts, *, actor: Any) -> dict[str, int]:
        if self.failing:
            raise RuntimeError("base de données indisponible")
        self.commands.append(command)
        return {"matched": len(command.receipts)}


def receipt(number: int) -> HandsetReceipt:
    return HandsetReceipt(
        channel="sms",
        provider_message_id=f"M{number}",
        delivered=True,
        state="DELIVRD",
        reason="remis au téléphone",
        received_at=NOW,
    )


def record_all(bus: FakeBus, count: int) -> list[bool]:
    recorder = ReceiptRecorder(bus, route="sms")  # type: ignore[arg-type]

    async def main() -> list[bool]:
        return list(await asyncio.gather(*(recorder(receipt(n)) for n in range(count))))

    return asyncio.run(main())


def test_receipts_arriving_together_share_one_command() -> None:
    bus = FakeBus()
    assert record_all(bus, 5) == [True] * 5
    [command] = bus.commands
    assert command.route == "sms"
    assert [r.provider_message_id for r in command.receipts] == [f"M{n}" for n in range(5)]


def test_a_failed_recording_refuses_the_receipts(caplog: Any) -> None:
    assert record_all(FakeBus(failing=True), 3) == [False] * 3
    assert "the SMSC will send them again" in caplog.text
