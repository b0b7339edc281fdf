"""SMS through a generic JSON HTTP gateway (aiohttp): POST {to, text, sender} with a bearer key.

Texts are measured in GSM-7 / UCS-2 segments; a text above `max_segments` is refused. A
gateway configured with a `callback_token` reports what reached the handsets
(`crisis/api/sms_reports.py`): its ids are then kept to match the reports.
"""

from __future__ import annotations

import json

from channels._common import (
    guard_exercise,
)
from channels.config import SmsConfig
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from channels.http_session import LoopSession, exchange, request_timeout
from channels.sms_text import e164, sms_body
from crisis.clock import Clock

SMS_LIMITS = ChannelLimits(
    max_length=3,
    length_unit=LengthUnit.SMS_SEGMENTS,
    rate_per_second=10.0,
    max_segments=3,
)


class SmsChannel:
    name = "sms"
    recipient_kind = RecipientKind.PHONE

    def __init__(self, config: SmsConfig, *, clock: Clock, name: str = "sms") -> None:
        self.name = name
        self._config = config
        self._clock = clock
        self.limits = ChannelLimits(
            max_length=config.max_segments,
            length_unit=LengthUnit.SMS_SEGMENTS,
            rate_per_second=config.rate_per_second or SMS_LIMITS.rate_per_second,
            max_segments=config.max_segments,
            handset_receipts=config.callback_token is not None,
        )
        self._pool = LoopSession(
            pool_size=config.connection_pool_size,
            headers={"Authorization": f"Bearer {config.api_key.get_secret_value()}"},
        )
        self._timeout = request_timeout(config.timeout_seconds)

    def __repr__(self) -> str:
        return f"SmsChannel(name={self.name!r}, base_url={self._config.base_url!r})"

    async def aclose(self) -> None:
        await self._pool.close()

    async def _request(self, method: str, path: str, payload: object = None) -> bytes:
        """The gateway's answer to a successful request; a `SendError` otherwise."""
        answer = await exchange(
            self._pool,
            method,
            self._config.base_url.rstrip("/") + path,
            json=payload,
            timeout=self._timeout,
            who="Passerelle SMS",
            provider="La passerelle SMS",
            clock=self._clock,
        )
        return answer.body

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._config.production, channel=self.name)
        to = e164(message.recipient)
        text = sms_body(message.text, max_segments=self._config.max_segments)
        answer = await self._request(
            "POST", "/messages", {"to": to, "text": text, "sender": self._config.sender}
        )
        try:
            provider_id = str(json.loads(answer)["id"])
        except (ValueError, KeyError, TypeError) as exc:
            # Accepted but unreadable: retrying could send twice, so the error is final.
            raise SendError(
                "Passerelle SMS : réponse illisible après acceptation.", retryable=False
            ) from exc
        return Receipt(provider_message_id=provider_id, accepted_at=self._clock.now())

    async def check(self) -> str:
        await self._request("GET", "/health")
        c = self._config
        return f"Passerelle SMS joignable ({c.base_url}), émetteur {c.sender}."
