"""SIP messages: building requests, parsing what comes back (RFC 3261 §7)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

# Compact header forms (RFC 3261 §7.3.3) and the canonical spelling we read them as.
_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
}
MAGIC_COOKIE = "z9hG4bK"


class SipParseError(ValueError):
    """Bytes that are not a SIP message."""


def new_branch() -> str:
    return MAGIC_COOKIE + secrets.token_hex(8)


def new_tag() -> str:
    return secrets.token_hex(6)


@dataclass
class SipMessage:
    """A request (`method`, `uri`) or a response (`status`, `reason`); headers in order."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    method: str = ""
    uri: str = ""
    status: int = 0
    reason: str = ""

    @property
    def is_request(self) -> bool:
        return bool(self.method)

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive, compact forms understood)."""
        wanted = name.lower()
        for key, value in self.headers:
            if _COMPACT.get(key.lower(), key.lower()) == wanted:
                return value
        return None

    def all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [v for k, v in self.headers if _COMPACT.get(k.lower(), k.lower()) == wanted]

    def cseq(self) -> tuple[int, str]:
        value = self.header("cseq") or ""
        number, _, method = value.strip().partition(" ")
        try:
            return int(number), method.strip().upper()
        except ValueError:
            raise SipParseError("CSeq invalide") from None

    def branch(self) -> str:
        via = self.header("via") or ""
        for param in via.split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "branch":
                return value
        return ""

    def encode(self) -> bytes:
        start = (
            f"{self.method} {self.uri} SIP/2.0"
            if self.is_request
            else f"SIP/2.0 {self.status} {self.reason}"
        )
        lines = [start]
        lines += [f"{k}: {v}" for k, v in self.headers if k.lower() != "content-length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body


def parse(data: bytes) -> SipMessage:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise SipParseError("en-tête non UTF-8") from None
    lines = text.replace("\r\n", "\n").split("\n")
    start = lines[0].split(" ", 2)
    message = SipMessage()
    if start[0] == "SIP/2.0" and len(start) >= 2:
        try:
            message.status = int(start[1])
        except ValueError:
            raise SipParseError("statut invalide") from None
        message.reason = start[2] if len(start) > 2 else ""
    elif len(start) == 3 and start[2] == "SIP/2.0":
        message.method, message.uri = start[0].upper(), start[1]
    else:
        raise SipParseError("ligne de départ invalide")
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and message.headers:  # folded continuation
            name, value = message.headers[-1]
            message.headers[-1] = (name, value + " " + line.strip())
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise SipParseError("en-tête invalide")
        message.headers.append((name.strip(), value.strip()))
    length = message.header("content-length")
    if length is not None and length.strip().isdigit():
        body = body[: int(length)]
    message.body = body
    return message


def header_param(value: str, name: str) -> str | None:
    """A `;name=value` parameter of a header such as To or Via."""
    for param in value.split(";")[1:]:
        key, _, found = param.strip().partition("=")
        if key.lower() == name:
            return found.strip()
    return None


def uri_of(value: str) -> str:
    """The URI inside a name-addr (`"Name" <sip:x@y>;tag=1`) or an addr-spec."""
    if "<" in value and ">" in value:
        return value[value.index("<") + 1 : value.index(">")]
    return value.split(";", 1)[0].strip()
