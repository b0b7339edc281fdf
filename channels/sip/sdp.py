"""The SDP offer of an outgoing call and what its answer tells (RFC 4566, RFC 3264)."""

from __future__ import annotations

from dataclasses import dataclass

PCMU, PCMA = 0, 8
CODEC_NAMES = {PCMU: "PCMU", PCMA: "PCMA"}
TELEPHONE_EVENT = 101


class SdpError(ValueError):
    """An answer without a usable audio stream."""


@dataclass(frozen=True, slots=True)
class MediaAnswer:
    host: str
    port: int
    payload_type: int  # PCMU or PCMA
    event_payload_type: int | None  # telephone-event, when the far end sends it


def offer(*, host: str, port: int, codecs: tuple[int, ...], session_id: int) -> bytes:
    formats = " ".join(str(c) for c in (*codecs, TELEPHONE_EVENT))
    lines = [
        "v=0",
        f"o=prefecture {session_id} {session_id} IN IP4 {host}",
        "s=Appel de la prefecture",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {formats}",
        *(f"a=rtpmap:{c} {CODEC_NAMES[c]}/8000" for c in codecs),
        f"a=rtpmap:{TELEPHONE_EVENT} telephone-event/8000",
        f"a=fmtp:{TELEPHONE_EVENT} 0-15",
        "a=ptime:20",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def read_answer(body: bytes, *, offered: tuple[int, ...]) -> MediaAnswer:
    host = ""
    port = 0
    formats: list[int] = []
    events: int | None = None
    in_audio = False
    for raw in body.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line.startswith("c=") and (not host or in_audio):
            host = line.split()[-1]
        elif line.startswith("m="):
            parts = line[2:].split()
            in_audio = parts[0] == "audio" and int(parts[1] or 0) > 0
            if in_audio:
                port = int(parts[1])
                formats = [int(p) for p in parts[3:] if p.isdigit()]
        elif in_audio and line.startswith("a=rtpmap:") and "telephone-event" in line.lower():
            events = int(line[len("a=rtpmap:") :].split()[0])
    chosen = next((f for f in formats if f in offered), None)
    if not host or not port or chosen is None:
        raise SdpError("réponse SDP sans flux audio G.711 utilisable")
    return MediaAnswer(host, port, chosen, events if events in formats else None)
