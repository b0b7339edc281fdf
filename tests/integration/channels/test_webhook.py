"""Webhook channel against the fake receiver, through aiohttp."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from pydantic import SecretStr, ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from channels.config import WebhookConfig
from channels.contract import OutgoingMessage, Receipt, RecipientKind, SendError
from channels.webhook import WebhookChannel
from crisis.clock import ManualClock
from tests.fakes.webhook import FakeWebhookReceiver

T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
SECRET = "whsec_0eulSCXHeBbe7qp83t4UXxBZvoFgoZr9ZbC1g7wCR9I="


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver() as server:
        yield server


def channel(receiver: FakeWebhookReceiver) -> WebhookChannel:
    config = WebhookConfig(secret=SecretStr(SECRET), url=f"{receiver.url}/hooks/crise")
    return WebhookChannel(config, clock=ManualClock(T0))


def message(recipient: str = "") -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id="d-42",
        recipient_kind=RecipientKind.URL,
        recipient=recipient,
        text="Le COD est activé.",
        subject="Crue",
        exercise=False,
        metadata={"audience": "élus"},
    )


async def _send(ch: WebhookChannel, msg: OutgoingMessage) -> Receipt:
    try:
        return await ch.send(msg)
    finally:
        await ch.aclose()


def _verify(body: bytes, headers: dict[str, str], secret: str = SECRET) -> object:
    # Only the standard headers, as a receiver behind a proxy would pass them on.
    standard = {k: v for k, v in headers.items() if k.startswith("webhook-")}
    return Webhook(secret).verify(body, standard)


def test_post_is_signed_the_standard_way_and_verifiable(receiver: FakeWebhookReceiver) -> None:
    receipt = asyncio.run(_send(channel(receiver), message()))
    [request] = receiver.received
    assert request.path == "/hooks/crise"
    with freeze_time(T0):
        assert _verify(request.body, request.headers)["text"] == "Le COD est activé."  # type: ignore[index]
        with pytest.raises(WebhookVerificationError):
            _verify(request.body + b" ", request.headers)
        with pytest.raises(WebhookVerificationError):
            _verify(request.body, request.headers, "whsec_" + "QUJD" * 8)
        with pytest.raises(WebhookVerificationError):
            _verify(request.body, {**request.headers, "webhook-id": "d-43"})
    with freeze_time(T0 + timedelta(minutes=10)), pytest.raises(WebhookVerificationError):
        _verify(request.body, request.headers)  # too old: a replay is refused
    payload = json.loads(request.body)
    assert payload["text"] == "Le COD est activé."
    assert payload["metadata"] == {"audience": "élus"}
    assert payload["sent_at"] == "2025-03-14T02:30:00+00:00"
    assert request.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert request.headers["webhook-id"] == "d-42"
    assert request.headers["webhook-signature"].startswith("v1,")
    assert receipt.accepted_at == T0


def test_recipient_url_overrides_the_default(receiver: FakeWebhookReceiver) -> None:
    asyncio.run(_send(channel(receiver), message(f"{receiver.url}/autre")))
    assert receiver.received[0].path == "/autre"


def test_failures_are_classified(receiver: FakeWebhookReceiver) -> None:
    receiver.rate_limit_next(1, retry_after=12)
    receiver.fail_next(1, status=500)
    receiver.fail_next(1, status=403)
    errors = []
    for _ in range(3):
        with pytest.raises(SendError) as info:
            asyncio.run(_send(channel(receiver), message()))
        errors.append(info.value)
    assert [(e.retryable, e.retry_after) for e in errors] == [
        (True, 12),
        (True, None),
        (False, None),
    ]
    receiver.go_down("refuse")
    with pytest.raises(SendError) as down:
        asyncio.run(_send(channel(receiver), message()))
    assert down.value.retryable


async def _check(ch: WebhookChannel) -> str:
    try:
        return await ch.check()
    finally:
        await ch.aclose()


def test_check_posts_a_signed_test_delivery(receiver: FakeWebhookReceiver) -> None:
    """The way the receiver is used: a HEAD, which it does not route (405), said it failed."""

    assert "essai signé accepté" in asyncio.run(_check(channel(receiver)))
    assert [r.method for r in receiver.requests] == ["POST"]
    probe = receiver.received[0]
    with freeze_time(T0):
        verified = _verify(probe.body, probe.headers)
    assert isinstance(verified, dict)
    assert verified["test"] is True
    assert probe.headers["webhook-id"].startswith("essai-")


def test_check_reports_a_refusing_receiver(receiver: FakeWebhookReceiver) -> None:
    receiver.go_down("refuse")

    with pytest.raises(SendError):
        asyncio.run(_check(channel(receiver)))


@pytest.mark.parametrize(
    "secret",
    # not base64; 3 bytes; 24 bytes, the Standard Webhooks minimum but not the service's 32;
    # 32 zero bytes; 48 bytes of « ABC » repeated
    [
        "hmac-secret",
        "whsec_QUJD",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_" + "A" * 43 + "=",
        "whsec_" + "QUJD" * 16,
    ],
)
def test_a_secret_not_in_the_standard_form_is_refused(secret: str) -> None:
    with pytest.raises(ValidationError, match="secret du webhook"):
        WebhookConfig(secret=SecretStr(secret), url="https://hooks.example.fr/crise")
