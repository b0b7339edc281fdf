"""Personal acknowledgement links, `{public.base_url}/ack/{token}`: the pure part.

A page's message is stored with a placeholder where the token goes; each delivery gets its own
random token when it is claimed for sending, and only the token's SHA-256 is stored (like API
tokens and session ids). The clear token therefore exists only in the message handed to the
channel. Everything that shows a stored text shows the link masked.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32
# `secrets.token_urlsafe(32)`: 43 characters of the URL-safe base64 alphabet.
TOKEN_LENGTH = 43
# Where the token goes in a stored text: as long as a token and made of characters of the same
# alphabet (and of the GSM 7-bit one), so that an SMS is measured as it will be sent.
PLACEHOLDER = "JETON-PERSONNEL-AJOUTE-A-L-ENVOI".ljust(TOKEN_LENGTH, "-")
MASKED_LINK = "lien personnel d'accusé de réception (masqué)"

# A link to /ack/ with whatever follows it: this service's tokens, the placeholder, and the
# signed tokens of earlier versions (`payload.signature`).
_LINK = re.compile(r"(?:https?://[^\s/]+(?:/[^\s]*?)?)?/ack/[A-Za-z0-9_\-.=]+")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def ack_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/ack/{token}"


def with_token(text: str, token: str) -> str:
    """The text as sent to its person: the placeholder replaced by their token."""
    return text.replace(PLACEHOLDER, token)


def holds_placeholder(text: str | None) -> bool:
    return text is not None and PLACEHOLDER in text


def mask_links(text: str) -> str:
    """A text as shown to anyone but its recipient: every acknowledgement link masked."""
    return _LINK.sub(MASKED_LINK, text) if "/ack/" in text else text
