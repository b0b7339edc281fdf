"""The dispatcher's recorder: batches written in claim order, those that wait written together,
and a batch's task over only once its results are written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from channels.batch_recorder import BatchRecorder
from channels.dispatcher import DeliveryResult, Outcome

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def _results(batch: int, size: int = 3) -> list[DeliveryResult]:
    return [
        DeliveryResult(
            delivery_id=f"{batch}-{i}",
            crisis_id="c",
            message_id="m",
            audience="elus",
            channel="telegram_dm",
            attempt=1,
            started_at=T0,
            finished_at=T0,
            outcome=Outcome.ACCEPTED,
        )
        for i in range(size)
    ]


def test_batches_sent_while_one_is_written_are_written_together_in_claim_order() -> None:
    written: list[list[str]] = []

    async def run() -> list[bool]:
        first_written = asyncio.Event()
        release = asyncio.Event()

        async def record(results: list[DeliveryResult]) -> None:
            written.append([r.delivery_id for r in results])
            if len(written) == 1:
                first_written.set()
                await release.wait()  # a slow transaction

        recorder = BatchRecorder(record)
        sent: dict[int, asyncio.Future[list[DeliveryResult]]] = {}
        loop = asyncio.get_running_loop()
        tasks = []
        for batch in range(4):
            sent[batch] = loop.create_future()

            async def sending(batch: int = batch) -> list[DeliveryResult]:
                return await sent[batch]

            tasks.append(recorder.when_sent(asyncio.create_task(sending())))
        sent[0].set_result(_results(0))
        await first_written.wait()
        # Sent out of order while the first is being written: 3 before 2, then 1.
        sent[3].set_result(_results(3))
        sent[2].set_result(_results(2))
        await asyncio.sleep(0)
        done_early = [t.done() for t in tasks]
        sent[1].set_result(_results(1))
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*tasks)
        return done_early

    done_early = asyncio.run(run())
    assert done_early == [False, False, False, False]
    ids = [[f"{b}-{i}" for i in range(3)] for b in range(4)]
    assert written == [ids[0], ids[1] + ids[2] + ids[3]]


def test_a_failed_send_holds_no_batch_back() -> None:
    written: list[str] = []

    async def record(results: list[DeliveryResult]) -> None:
        written.extend(r.delivery_id for r in results)

    async def run() -> None:
        async def failing() -> Any:
            raise RuntimeError("envoi perdu")

        async def fine() -> list[DeliveryResult]:
            return _results(1, size=1)

        recorder = BatchRecorder(record)
        first = recorder.when_sent(asyncio.create_task(failing()))
        second = recorder.when_sent(asyncio.create_task(fine()))
        await asyncio.gather(first, second)

    asyncio.run(run())
    assert written == ["1-0"]
