"""Call-out by phone: from the COD's activation to the first ring and to the last
acknowledgement, for N simulated members who each answer and press « 1 ».

    PYTHONPATH=. .venv/bin/python benchmarks/callout_voice.py [--members 20] [--lines 10]
        [--answer-after 0.3] [--press-after 0.5]

The service is the real one (bootstrap, SQLite in a temporary folder, the dispatcher and the
voice channel with its SIP client, espeak-ng's synthesis); the phones are simulated by a SIP
user agent of this script on 127.0.0.1 (the trunk itself is not simulated: calls go straight
to it, as to a static trunk). Each phone rings, answers after `--answer-after` seconds and
presses « 1 » (an RFC 4733 event) `--press-after` seconds after answering. Prints the time
to the first ring, to the last acknowledgement, and the most calls up at once.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from channels.config import ChannelsConfig, VoiceConfig
from channels.sip.endpoint import response_to
from channels.sip.message import SipMessage, new_tag, parse

SDP = (
    "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
)


class Phones(asyncio.DatagramProtocol):
    """Every number rings, answers, then presses « 1 »."""

    def __init__(self, *, answer_after: float, press_after: float) -> None:
        self.answer_after = answer_after
        self.press_after = press_after
        self.transport: asyncio.DatagramTransport | None = None
        self.first_ring: float | None = None
        self.up: set[str] = set()
        self.most_up = 0
        self._offers: dict[str, tuple[str, int]] = {}
        self._tags: dict[str, str] = {}
        self._rtp: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = parse(data)
        call_id = message.header("call-id") or ""
        if message.method == "INVITE" and call_id not in self._tags:
            self.first_ring = self.first_ring or time.perf_counter()
            self._tags[call_id] = new_tag()
            self._offers[call_id] = _media(message.body)
            self._reply(message, 180, "Ringing", addr)
            asyncio.get_running_loop().call_later(
                self.answer_after, self._reply, message, 200, "OK", addr
            )
        elif message.method == "ACK" and call_id not in self.up:
            self.up.add(call_id)
            self.most_up = max(self.most_up, len(self.up))
            asyncio.get_running_loop().call_later(self.press_after, self._press, call_id)
        elif message.method == "BYE":
            self.up.discard(call_id)
            self._reply(message, 200, "OK", addr)

    def _reply(self, request: SipMessage, status: int, reason: str, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        call_id = request.header("call-id") or ""
        answer = response_to(request, status, reason)
        tag = self._tags.get(call_id, "")
        answer.headers = [
            (k, f"{v};tag={tag}" if k.lower() == "to" and tag else v) for k, v in answer.headers
        ]
        if request.method == "INVITE" and status == 200:
            assert self._rtp is not None
            port = self._rtp.get_extra_info("sockname")[1]
            port_of_phone = self.transport.get_extra_info("sockname")[1]
            answer.headers += [
                ("Contact", f"<sip:phone@127.0.0.1:{port_of_phone}>"),
                ("Content-Type", "application/sdp"),
            ]
            answer.body = SDP.format(port=port).encode()
        self.transport.sendto(answer.encode(), addr)

    def _press(self, call_id: str) -> None:
        """« 1 » as RFC 4733 packets: three of the event, then its end."""
        assert self._rtp is not None
        target = self._offers[call_id]
        timestamp = int(time.perf_counter() * 8000) & 0xFFFFFFFF
        for sequence, end in enumerate((0, 0, 0x80, 0x80)):
            header = struct.pack("!BBHII", 0x80, 101, sequence, timestamp, 0x1234)
            self._rtp.sendto(header + struct.pack("!BBH", 1, end | 10, 800), target)

    async def open_media(self) -> None:
        loop = asyncio.get_running_loop()
        self._rtp, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )


def _media(body: bytes) -> tuple[str, int]:
    host, port = "127.0.0.1", 0
    for line in body.decode().splitlines():
        if line.startswith("c="):
            host = line.split()[-1]
        elif line.startswith("m=audio"):
            port = int(line.split()[1])
    return host, port


def run(members: int, lines: int, answer_after: float, press_after: float) -> None:
    from crisis.bootstrap import SchedulerMode, bootstrap
    from crisis.clock import SystemClock
    from crisis.delivery.config import DeliveryConfig, DispatcherSettings
    from crisis.domain.commands import CodDecision, OpenCrisis
    from crisis.domain.oncall import CellRole, ImportRoster, ShiftInput
    from crisis.domain.vocabulary import CrisisKind
    from crisis.services.context import Actor
    from crisis.settings import Settings
    from crisis.store.engine import make_engine
    from crisis.store.migrate import upgrade

    loop = asyncio.new_event_loop()
    phones = Phones(answer_after=answer_after, press_after=press_after)

    async def open_phones() -> int:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: phones, local_addr=("127.0.0.1", 0)
        )
        await phones.open_media()
        port: int = transport.get_extra_info("sockname")[1]
        return port

    port = loop.run_until_complete(open_phones())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    roles = list(CellRole)[:4]
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
        upgrade(engine)
        clock = SystemClock()
        service = bootstrap(
            settings=Settings(
                data_dir=Path(folder),
                callout_methods={"voice": 0},
                # No quorum: a quorum reached would cancel the calls still to ring, and every
                # member is to be called here.
                cell_quorum=[],
            ),
            clock=clock,
            engine=engine,
            delivery=DeliveryConfig(
                production=ChannelsConfig(
                    voice=VoiceConfig(
                        proxy=f"127.0.0.1:{port}",
                        caller_id="+33238000000",
                        bind_host="127.0.0.1",
                        max_calls=lines,
                        calls_per_second=lines,
                    )
                ),
                dispatcher=DispatcherSettings(idle_seconds=0.05),
            ),
            scheduler_mode=SchedulerMode.NONE,
            run_dispatcher=True,
        )
        officer = Actor(name="cadre", role="duty_officer")
        start = clock.now() - timedelta(hours=1)
        shifts = tuple(
            ShiftInput(
                name=f"Membre {n:02d}",
                role=roles[n % len(roles)],
                starts_at=start,
                ends_at=start + timedelta(hours=12),
                mobile=f"+336123456{n:02d}",
            )
            for n in range(members)
        )
        service.bus.handle(ImportRoster(shifts=shifts), actor=officer)
        activated = time.perf_counter()
        crisis_id = service.bus.handle(
            OpenCrisis(
                title="Exercice de mesure",
                kind=CrisisKind.ACCIDENT_INDUSTRIEL,
                exercise=False,
                communes=("Grigny",),
                activation=CodDecision(decided_by="préfet", synergi_ref="SYN-BENCH"),
            ),
            actor=officer,
        )
        last_ack = None
        deadline = activated + 120
        while time.perf_counter() < deadline:
            with service.bus.reading() as uow:
                pages = [
                    p for c in uow.oncall.callouts_of(crisis_id) for p in uow.oncall.pages_of(c.id)
                ]
            if pages and all(p.acknowledged_at is not None for p in pages):
                last_ack = time.perf_counter()
                break
            time.sleep(0.05)
        service.close()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    first = phones.first_ring
    print(f"members={members} lines={lines}")
    print(f"first_ring_seconds={first - activated:.2f}" if first else "first_ring_seconds=none")
    print(f"last_ack_seconds={last_ack - activated:.2f}" if last_ack else "last_ack_seconds=none")
    print(f"most_calls_at_once={phones.most_up}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--answer-after", type=float, default=0.3)
    parser.add_argument("--press-after", type=float, default=0.5)
    options = parser.parse_args()
    run(options.members, options.lines, options.answer_after, options.press_after)


if __name__ == "__main__":
    main()
