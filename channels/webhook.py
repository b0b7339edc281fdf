"""A signed JSON webhook, following the Standard Webhooks convention (standardwebhooks.com).

Each POST carries `webhook-id` (the delivery: the same across retries), `webhook-timestamp`
(Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, under
a secret written `whsec_<base64>`. Any Standard Webhooks library verifies it; a receiver
refuses old timestamps (5 minutes by default) and ids it has seen, so a captured request
cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

from channels._common import (
    guard_exercise,
    with_rate,
)
from channels.config import WebhookConfig, secret_key
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from channels.http_session import LoopSession, exchange, request_timeout
from crisis.clock import Clock

# Connections are opened as needed, up to this many (a slow receiver at the channel's rate).
WEBHOOK_POOL_SIZE = 64

WEBHOOK_LIMITS = ChannelLimits(
    max_length=None, length_unit=LengthUnit.UNLIMITED, rate_per_second=10.0, supports_html=True
)
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def sign(*, webhook_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The `webhook-signature` value: `v1,` and the base64 HMAC of `id.timestamp.body`."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


class WebhookChannel:
    name = "webhook"
    limits = WEBHOOK_LIMITS
    recipient_kind = RecipientKind.URL

    def __init__(self, config: WebhookConfig, *, clock: Clock, name: str = "webhook") -> None:
        self.name = name
        self.limits = with_rate(WEBHOOK_LIMITS, config.rate_per_second)
        self._config = config
        self._clock = clock
        self._pool = LoopSession(pool_size=WEBHOOK_POOL_SIZE)
        self._timeout = request_timeout(config.timeout_seconds)

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r}, url={self._config.url!r})"

    async def aclose(self) -> None:
        await self._pool.close()

    def _url(self, message: OutgoingMessage | None) -> str:
        url = (message.recipient.strip() if message else "") or self._config.url or ""
        if not url.startswith(("https://", "http://")):
            raise SendError("Webhook : adresse (URL) manquante ou invalide.", retryable=False)
        return url

    def body(self, message: OutgoingMessage) -> bytes:
        now = self._clock.now()
        payload = {
            "delivery_id": message.delivery_id,
            "sent_at": now.isoformat(timespec="seconds"),
            "exercise": message.exercise,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "metadata": message.metadata,
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    async def _request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str | None]:
        """The receiver's status and `X-Request-Id` on success; a `SendError` otherwise."""
        answer = await exchange(
            self._pool,
            method,
            url,
            data=body,
            headers=headers,
            timeout=self._timeout,
            who="Webhook",
            provider="Le webhook",
            clock=self._clock,
        )
        return answer.status, answer.headers.get("x-request-id")

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._config.production, channel=self.name)
        return await self._post(self._url(message), message, self.body(message))

    async def _post(self, url: str, message: OutgoingMessage, body: bytes) -> Receipt:
        timestamp = int(self._clock.now().timestamp())
        signature = sign(
            webhook_id=message.delivery_id,
            timestamp=timestamp,
            body=body,
            secret=self._config.secret.get_secret_value(),
        )
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            ID_HEADER: message.delivery_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature,
        }
        _, request_id = await self._request("POST", url, body=body, headers=headers)
        provider_id = request_id or message.delivery_id
        return Receipt(provider_message_id=provider_id, accepted_at=self._clock.now())

    async def check(self) -> str:
        """Probe the receiver the way it is used: a signed POST of a test delivery (`"test":
        true` in its body, an id starting `essai-`), which a receiver recognises and ignores.
        A HEAD, which many receivers do not route, said a working receiver was failing."""
        url = self._url(None)
        probe = OutgoingMessage(
            delivery_id=f"essai-{uuid.uuid4()}",
            recipient_kind=RecipientKind.URL,
            recipient=url,
            text="Essai de connexion du service de communication de crise : à ignorer.",
            subject="Essai de connexion",
            exercise=not self._config.production,
            metadata={"essai": "oui"},
        )
        payload = json.loads(self.body(probe))
        payload["test"] = True
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        await self._post(url, probe, body)
        return f"Webhook joignable : {url} (essai signé accepté)."
