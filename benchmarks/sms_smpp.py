"""SMPP benchmark: SMS submitted per second against the window, and send → last receipt.

    PYTHONPATH=. .venv/bin/python benchmarks/sms_smpp.py [--count 1000] [--rate 50] [--window 10]

The SMPP channel sends to the test SMSC (npm `smpp`, tests/peers/smsc, run by Node.js on
127.0.0.1), 50 sends at once as the dispatcher does, each SMS a single GSM-7 part:

1. throughput: `--count` / 4 SMS without a rate limit, once with a window of 1 and once
   with `--window`: submits per second (what the round trips allow);
2. the configured run: `--count` SMS at `--rate`, window `--window`: submits per second, the
   most submits the SMSC saw in any one second (must be ≤ the rate), and the time from the
   first send to the last delivery receipt (the SMSC answers each after 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ACCOUNTS = {"bench": "bench"}
SENDERS = 50


async def _run(smsc: Any, *, count: int, rate: float, window: int) -> dict[str, float]:
    from pydantic import SecretStr

    from channels.config import SmppConfig
    from channels.contract import HandsetReceipt, OutgoingMessage, RecipientKind
    from channels.smpp.channel import SmppChannel
    from crisis.clock import SystemClock

    channel = SmppChannel(
        SmppConfig(
            protocol="smpp",
            host=smsc.host,
            port=smsc.port,
            system_id="bench",
            password=SecretStr("bench"),
            source_addr="PREF45",
            rate_per_second=rate,
            window=window,
        ),
        clock=SystemClock(),
    )
    receipts = 0
    last_receipt = 0.0
    all_in = asyncio.Event()

    async def sink(_: HandsetReceipt) -> bool:
        nonlocal receipts, last_receipt
        receipts += 1
        last_receipt = time.perf_counter()
        if receipts == count:
            all_in.set()
        return True

    channel.set_receipt_sink(sink)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(count):
        queue.put_nowait(number)

    async def sender() -> None:
        while not queue.empty():
            number = queue.get_nowait()
            await channel.send(
                OutgoingMessage(
                    delivery_id=f"d-{number}",
                    recipient_kind=RecipientKind.PHONE,
                    recipient=f"+336{10000000 + number:08d}",
                    text=f"Crue de la Loire : message {number}.",
                    exercise=False,
                )
            )

    started = time.perf_counter()
    try:
        await asyncio.gather(*(sender() for _ in range(SENDERS)))
        submitted = time.perf_counter()
        await asyncio.wait_for(all_in.wait(), 60)
    finally:
        await channel.aclose()
    return {
        "per_second": count / (submitted - started),
        "to_last_receipt": last_receipt - started,
    }


def _busiest_second(instants_ms: list[float]) -> int:
    instants = sorted(instants_ms)
    best, start = 0, 0
    for end, at in enumerate(instants):
        while instants[start] <= at - 1000:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    from tests.peers.smsc_server import running_smsc

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--window", type=int, default=10)
    args = parser.parse_args()
    with running_smsc(ACCOUNTS) as smsc:
        smsc.configure(receipt_delay_ms=50)
        for window in sorted({1, args.window}):
            smsc.reset()
            smsc.configure(receipt_delay_ms=50)
            result = asyncio.run(
                _run(smsc, count=max(1, args.count // 4), rate=100_000.0, window=window)
            )
            print(f"sans limite, fenêtre {window:>3} : {result['per_second']:8.1f} SMS/s")
        smsc.reset()
        smsc.configure(receipt_delay_ms=50)
        result = asyncio.run(_run(smsc, count=args.count, rate=args.rate, window=args.window))
        busiest = _busiest_second([s["at"] for s in smsc.state()["submits"]])
    print(
        f"{args.count} SMS à {args.rate:g}/s, fenêtre {args.window} : "
        f"{result['per_second']:.1f} SMS/s, au plus {busiest} dans une seconde, "
        f"dernier accusé {result['to_last_receipt']:.2f} s après le premier envoi"
    )
    print(f"smpp_busiest_second_ratio={busiest / args.rate:.2f}")


if __name__ == "__main__":
    main()
