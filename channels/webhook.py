"""A signed JSON webhook: POST the message, `X-Signature: sha256=<HMAC-SHA256 of the body>`.

The body carries its own timestamp (`sent_at`, also in `X-Timestamp`), so the signature covers
it: a receiver checks the signature, then rejects stale timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from channels._common import (
    RATE_OVERRIDE_HELP,
    error_for_status,
    guard_exercise,
    parse_retry_after,
    with_rate,
)
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from crisis.clock import Clock

WEBHOOK_LIMITS = ChannelLimits(
    max_length=None, length_unit=LengthUnit.UNLIMITED, rate_per_second=10.0, supports_html=True
)
SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"


class WebhookConfig(BaseModel):
    """`url` is used when a message names no endpoint (`OutgoingMessage.recipient` empty)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    secret: SecretStr
    url: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)
    rate_per_second: float | None = Field(default=None, gt=0, description=RATE_OVERRIDE_HELP)
    production: bool = True


def sign(body: bytes, secret: str) -> str:
    """The X-Signature value for a body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(body: bytes, signature: str, secret: str) -> bool:
    """What a receiver does: compare in constant time."""
    return hmac.compare_digest(sign(body, secret), signature)


class WebhookChannel:
    name = "webhook"
    limits = WEBHOOK_LIMITS
    recipient_kind = RecipientKind.URL

    def __init__(self, config: WebhookConfig, *, clock: Clock, name: str = "webhook") -> None:
        self.name = name
        self.limits = with_rate(WEBHOOK_LIMITS, config.rate_per_second)
        self._config = config
        self._clock = clock
        self._client_instance: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r}, url={self._config.url!r})"

    def _client(self) -> httpx.AsyncClient:
        if self._client_instance is None:
            self._client_instance = httpx.AsyncClient(timeout=self._config.timeout_seconds)
        return self._client_instance

    async def aclose(self) -> None:
        client, self._client_instance = self._client_instance, None
        if client is not None:
            await client.aclose()

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

    async def _request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            response = await self._client().request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise SendError("Webhook : délai dépassé.", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise SendError(
                f"Webhook injoignable ({exc.__class__.__name__}).", retryable=True
            ) from exc
        if response.is_success:
            return response
        retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock.now())
        raise error_for_status(response.status_code, provider="Le webhook", retry_after=retry_after)

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._config.production, channel=self.name)
        url = self._url(message)
        body = self.body(message)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(body, self._config.secret.get_secret_value()),
            TIMESTAMP_HEADER: str(int(self._clock.now().timestamp())),
            "X-Delivery-Id": message.delivery_id,
        }
        response = await self._request("POST", url, content=body, headers=headers)
        provider_id = response.headers.get("x-request-id") or message.delivery_id
        return Receipt(provider_message_id=provider_id, accepted_at=self._clock.now())

    async def check(self) -> str:
        url = self._url(None)
        response = await self._request("HEAD", url)
        return f"Webhook joignable : {url} (HTTP {response.status_code})."
