"""Signed one-time acknowledgement links: `{public.base_url}/ack/{token}`.

The token carries the page id and an expiry instant, signed with HMAC-SHA256 under
`CRISIS_ACK_SECRET`. Nothing is stored: a forged token fails the signature, an old one its
expiry, and a used one finds its page already acknowledged (one time).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class LinkProblem(StrEnum):
    FORGED = "forged"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class LinkCheck:
    page_id: str | None
    problem: LinkProblem | None
    expires_at: datetime | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), b"ack:" + payload.encode(), hashlib.sha256).digest()
    return _b64(digest)


def make_token(*, secret: str, page_id: str, expires_at: datetime) -> str:
    payload = _b64(f"{page_id}|{int(expires_at.timestamp())}".encode())
    return f"{payload}.{_signature(secret, payload)}"


def check_token(token: str, *, secret: str, now: datetime) -> LinkCheck:
    payload, dot, signature = token.partition(".")
    if not dot or not hmac.compare_digest(signature, _signature(secret, payload)):
        return LinkCheck(None, LinkProblem.FORGED)
    try:
        page_id, _, expiry = _unb64(payload).decode("utf-8").partition("|")
        expires_at = datetime.fromtimestamp(int(expiry), tz=UTC)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return LinkCheck(None, LinkProblem.FORGED)
    if now >= expires_at:
        return LinkCheck(page_id, LinkProblem.EXPIRED, expires_at)
    return LinkCheck(page_id, None, expires_at)


def ack_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/ack/{token}"
