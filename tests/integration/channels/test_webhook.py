"""Webhook channel against the fake receiver, through httpx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from channels.contract import OutgoingMessage, Receipt, RecipientKind, SendError
from channels.webhook import WebhookChannel, WebhookConfig, verify
from crisis.clock import ManualClock
from tests.fakes.webhook import FakeWebhookReceiver

T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
SECRET = "hmac-secret"


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


def test_post_is_signed_and_verifiable(receiver: FakeWebhookReceiver) -> None:
    receipt = asyncio.run(_send(channel(receiver), message()))
    [request] = receiver.received
    assert request.path == "/hooks/crise"
    assert verify(request.body, request.headers["x-signature"], SECRET)
    assert not verify(request.body + b" ", request.headers["x-signature"], SECRET)
    assert not verify(request.body, request.headers["x-signature"], "other")
    payload = json.loads(request.body)
    assert payload["text"] == "Le COD est activé."
    assert payload["metadata"] == {"audience": "élus"}
    assert payload["sent_at"] == "2025-03-14T02:30:00+00:00"
    assert request.headers["x-timestamp"] == str(int(T0.timestamp()))
    assert request.headers["x-delivery-id"] == "d-42"
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


def test_check_sends_head_and_publishes_nothing(receiver: FakeWebhookReceiver) -> None:
    async def run() -> str:
        ch = channel(receiver)
        try:
            return await ch.check()
        finally:
            await ch.aclose()

    assert "HTTP 200" in asyncio.run(run())
    assert receiver.received == []
    assert [r.method for r in receiver.requests] == ["HEAD"]
