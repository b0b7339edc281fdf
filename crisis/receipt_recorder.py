"""Receipts from an SMS channel's links, recorded through the bus in small batches.

Each receipt is answered to the SMSC only once its batch is committed (`__call__` returns
True then): a receipt the service could not record is refused, and the SMSC sends it again.
Receipts arriving together share one transaction (a fan-out's receipts come back by hundreds
a second).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from channels.contract import Channel, HandsetReceipt
from crisis.domain.commands import RecordHandsetReceipts
from crisis.ops.metrics import Metrics
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR
from crisis.store.receipts_repository import route_of

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# How long the first receipt of a batch waits for others: short against an SMSC's own
# time-out for the deliver_sm_resp (tens of seconds).
LINGER_SECONDS = 0.05


class ReceiptRecorder:
    """The receipt sink of one route (a channel's production or exercise bind)."""

    def __init__(self, bus: MessageBus, *, route: str, metrics: Metrics | None = None) -> None:
        self._bus = bus
        self.route = route
        self._metrics = metrics
        self._waiting: list[tuple[HandsetReceipt, asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def __call__(self, receipt: HandsetReceipt) -> bool:
        recorded: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((receipt, recorded))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self._flush())
        return await recorded

    async def _flush(self) -> None:
        await asyncio.sleep(LINGER_SECONDS)
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH_SIZE], self._waiting[BATCH_SIZE:]
            receipts = tuple(receipt for receipt, _ in batch)
            try:
                counts = await asyncio.to_thread(self._record, receipts)
                ok = True
            except Exception:
                log.exception(
                    "recording %d SMS receipts failed; the SMSC will send them again", len(batch)
                )
                counts, ok = {}, False
            if self._metrics is not None:
                self._metrics.observe_receipts(self.route, counts)
            for _, recorded in batch:
                if not recorded.done():
                    recorded.set_result(ok)

    def _record(self, receipts: tuple[HandsetReceipt, ...]) -> dict[str, int]:
        counts: dict[str, int] = self._bus.handle(
            RecordHandsetReceipts(route=self.route, receipts=receipts), actor=SYSTEM_ACTOR
        )
        return counts


def wire_receipts(
    bus: MessageBus,
    channels: Mapping[str, Channel],
    *,
    exercise: bool,
    metrics: Metrics | None = None,
) -> None:
    """Give each channel that sends receipts (SMPP) its recorder; only the SMS channel is
    looked up, so the others stay unbuilt until used."""
    if "sms" not in channels:
        return
    channel = channels["sms"]
    set_sink = getattr(channel, "set_receipt_sink", None)
    if set_sink is not None:
        set_sink(ReceiptRecorder(bus, route=route_of("sms", exercise=exercise), metrics=metrics))
