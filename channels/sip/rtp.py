"""One RTP stream (RFC 3550): G.711 audio sent at 20 ms, telephone events received (RFC 4733)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import struct
from collections.abc import Callable

log = logging.getLogger(__name__)

FRAME_SAMPLES = 160  # 20 ms at 8 kHz, one byte per sample in G.711
FRAME_SECONDS = 0.02
DTMF_KEYS = "0123456789*#ABCD"
SILENCE = {0: b"\xff", 8: b"\xd5"}  # PCMU and PCMA encodings of zero


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, stream: RtpStream) -> None:
        self._stream = stream

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._stream.received(data)

    def error_received(self, exc: Exception) -> None:
        log.debug("RTP socket error: %s", exc)


class RtpStream:
    """Sends one payload type to one address; reports each key pressed once."""

    def __init__(self, *, on_key: Callable[[str], None]) -> None:
        self._on_key = on_key
        self._transport: asyncio.DatagramTransport | None = None
        self.port = 0
        self._remote: tuple[str, int] | None = None
        self._payload_type = 0
        self._event_type: int | None = None
        self._sequence = secrets.randbelow(0x10000)
        self._timestamp = secrets.randbelow(0x100000000)
        self._ssrc = secrets.randbelow(0x100000000)
        self._first = True
        self._last_event: int | None = None  # the RTP timestamp of the last event reported

    async def open(self, host: str) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(host, 0), family=socket.AF_INET
        )
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])

    def connect(
        self, remote: tuple[str, int], *, payload_type: int, event_type: int | None
    ) -> None:
        self._remote = remote
        self._payload_type = payload_type
        self._event_type = event_type

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def play(self, audio: bytes, *, stop: asyncio.Event) -> bool:
        """Send the audio in real time; False when `stop` was set before its end."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        for index in range(0, len(audio), FRAME_SAMPLES):
            if stop.is_set():
                return False
            frame = audio[index : index + FRAME_SAMPLES]
            if len(frame) < FRAME_SAMPLES:
                frame += SILENCE.get(self._payload_type, b"\xff") * (FRAME_SAMPLES - len(frame))
            self._send(frame)
            due = started + (index // FRAME_SAMPLES + 1) * FRAME_SECONDS
            await asyncio.sleep(max(0.0, due - loop.time()))
        return not stop.is_set()

    async def silence(self, seconds: float, *, stop: asyncio.Event) -> bool:
        """Keep the stream alive with silence (NAT bindings, media timeouts) while waiting."""
        frames = int(seconds / FRAME_SECONDS)
        quiet = SILENCE.get(self._payload_type, b"\xff") * FRAME_SAMPLES * frames
        return await self.play(quiet, stop=stop)

    def _send(self, payload: bytes) -> None:
        if self._transport is None or self._remote is None:
            return
        marker = 0x80 if self._first else 0
        self._first = False
        header = struct.pack(
            "!BBHII",
            0x80,
            marker | self._payload_type,
            self._sequence,
            self._timestamp,
            self._ssrc,
        )
        self._transport.sendto(header + payload, self._remote)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + len(payload)) & 0xFFFFFFFF

    def received(self, data: bytes) -> None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        payload_type = data[1] & 0x7F
        if self._event_type is None or payload_type != self._event_type:
            return
        csrc = (data[0] & 0x0F) * 4
        offset = 12 + csrc
        if data[0] & 0x10:  # header extension
            if len(data) < offset + 4:
                return
            offset += 4 + struct.unpack("!H", data[offset + 2 : offset + 4])[0] * 4
        if len(data) < offset + 4:
            return
        event = data[offset]
        timestamp = struct.unpack("!I", data[4:8])[0]
        # Every packet of one key press carries the same timestamp (RFC 4733 §2.5.1.3): the
        # first one that arrives reports the key, the others (and the three ends) repeat it.
        if timestamp == self._last_event or event >= len(DTMF_KEYS):
            return
        self._last_event = timestamp
        self._on_key(DTMF_KEYS[event])
