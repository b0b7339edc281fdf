"""A callee for the one case no Debian peer covers cheaply: many calls at once, each
answered at once and hung up shortly after, counting how many are up together."""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

from channels.sip.endpoint import response_to
from channels.sip.message import SipMessage, new_branch, new_tag, parse, uri_of

_SDP = (
    "v=0\r\no=callee 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)


class ManyCallees(asyncio.DatagramProtocol):
    """Answers every INVITE with 200 OK, sends BYE `talk_seconds` after the ACK."""

    def __init__(self, *, talk_seconds: float) -> None:
        self.talk_seconds = talk_seconds
        self.live: set[str] = set()
        self.seen: set[str] = set()
        self.most_at_once = 0
        self.answered = 0
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._tags: dict[str, str] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    @property
    def port(self) -> int:
        assert self.transport is not None
        port: int = self.transport.get_extra_info("sockname")[1]
        return port

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        message = parse(data)
        if message.method == "INVITE":
            ok = response_to(message, 200, "OK")
            tag = self._tags.setdefault(message.header("call-id") or "", new_tag())
            ok.headers = [(k, f"{v};tag={tag}" if k.lower() == "to" else v) for k, v in ok.headers]
            ok.headers += [
                ("Contact", f"<sip:callee@127.0.0.1:{self.port}>"),
                ("Content-Type", "application/sdp"),
            ]
            ok.body = _SDP.encode()
            self.transport.sendto(ok.encode(), addr)
        elif message.method == "ACK":
            call_id = message.header("call-id") or ""
            if call_id in self.seen:
                return  # an ACK sent again (our 200 OK answered an INVITE sent again)
            self.seen.add(call_id)
            self.live.add(call_id)
            self.answered += 1
            self.most_at_once = max(self.most_at_once, len(self.live))
            task = asyncio.ensure_future(self._hang_up(message, addr))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif not message.is_request and message.cseq()[1] == "BYE":
            return

    async def _hang_up(self, ack: SipMessage, addr: tuple[str, int]) -> None:
        await asyncio.sleep(self.talk_seconds)
        assert self.transport is not None
        self.live.discard(ack.header("call-id") or "")
        bye = SipMessage(
            method="BYE",
            uri=uri_of(ack.header("contact") or ack.header("from") or ""),
            headers=[
                ("Via", f"SIP/2.0/UDP 127.0.0.1:{self.port};branch={new_branch()}"),
                ("From", ack.header("to") or ""),
                ("To", ack.header("from") or ""),
                ("Call-ID", ack.header("call-id") or ""),
                ("CSeq", "1 BYE"),
                ("Max-Forwards", "70"),
            ],
        )
        self.transport.sendto(bye.encode(), addr)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.transport is not None:
            self.transport.close()
