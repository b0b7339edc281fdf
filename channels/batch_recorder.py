"""Recording a channel's batches of results: in claim order, those that wait together.

The dispatcher (`channels.dispatcher`) sends a channel's batches through shared slots and
records each once sent, while the next ones are being sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("channels.dispatcher")
_T = TypeVar("_T")
_Result = TypeVar("_Result")  # a delivery's result (`channels.dispatcher.DeliveryResult`)


async def finish(task: asyncio.Task[_T] | None) -> _T | None:
    """Wait for a background step; its failure is logged (the rows come back later)."""
    if task is None:
        return None
    try:
        return await task
    except Exception:
        log.exception("dispatcher step failed; its deliveries return at lease expiry")
        return None


class BatchRecorder(Generic[_Result]):
    """Records a channel's batches in claim order, several in one transaction when they wait.

    Each batch, once sent, queues its results behind those of the batches claimed before it;
    whoever next holds the recording takes everything queued: while one transaction is being
    written, the batches sent meanwhile are written together by the next one. A batch's task
    ends once its results are written (by itself or by a task before it), so the bound on
    batches sent but not recorded still holds.
    """

    def __init__(self, record: Callable[[list[_Result]], Awaitable[None]]) -> None:
        self._record = record
        self._queued: list[_Result] = []
        self._writing = asyncio.Lock()  # fair: the tasks take it in claim order
        self._last_queued: asyncio.Event | None = None

    def when_sent(self, sending: asyncio.Task[list[_Result]]) -> asyncio.Task[None]:
        """The task recording this batch once it is sent."""
        before, mine = self._last_queued, asyncio.Event()
        self._last_queued = mine
        return asyncio.create_task(self._write(sending, before, mine))

    async def _write(
        self,
        sending: asyncio.Task[list[_Result]],
        before: asyncio.Event | None,
        mine: asyncio.Event,
    ) -> None:
        try:
            results = await finish(sending)
            if before is not None:
                await before.wait()  # the batch claimed before has queued its results
            self._queued.extend(results or ())
        finally:
            mine.set()
        async with self._writing:
            taken, self._queued = self._queued, []
            if taken:
                await self._record(taken)
