"""The signature of an OVHcloud API request, as OVHcloud documents it and its official clients
(python-ovh `Client.call`, node-ovh) compute it.

`X-Ovh-Signature` is `$1$` followed by the hexadecimal SHA-1 of the application secret, the
consumer key, the method, the full URL (query included), the body exactly as sent and the
timestamp, joined by `+`. The timestamp is the API's clock (`GET /auth/time`, unsigned),
not ours: the client keeps the difference.
"""

from __future__ import annotations

import hashlib
from typing import Final

SIGNATURE_PREFIX: Final = "$1$"


def signature(
    *, secret: str, consumer_key: str, method: str, url: str, body: str, timestamp: int
) -> str:
    joined = "+".join((secret, consumer_key, method.upper(), url, body, str(timestamp)))
    return SIGNATURE_PREFIX + hashlib.sha1(joined.encode("utf-8")).hexdigest()  # noqa: S324


def signed_headers(
    *,
    application_key: str,
    secret: str,
    consumer_key: str,
    method: str,
    url: str,
    body: str,
    timestamp: int,
) -> dict[str, str]:
    headers = {
        "X-Ovh-Application": application_key,
        "X-Ovh-Consumer": consumer_key,
        "X-Ovh-Timestamp": str(timestamp),
        "X-Ovh-Signature": signature(
            secret=secret,
            consumer_key=consumer_key,
            method=method,
            url=url,
            body=body,
            timestamp=timestamp,
        ),
    }
    if body:
        headers["Content-Type"] = "application/json"
    return headers
