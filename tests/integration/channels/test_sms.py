"""SMS channel against the fake JSON SMS gateway, through aiohttp."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from channels.config import SmsConfig
from channels.contract import OutgoingMessage, Receipt, RecipientKind, SendError
from channels.sms import SmsChannel
from crisis.clock import ManualClock
from tests.fakes.sms import FakeSmsGateway

T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
KEY = "sms-secret-key"


@pytest.fixture
def gateway() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway(api_key=KEY) as server:
        yield server


def channel(gateway: FakeSmsGateway, **overrides: object) -> SmsChannel:
    values: dict[str, object] = {
        "base_url": gateway.url,
        "api_key": SecretStr(KEY),
        "sender": "PREF45",
        "timeout_seconds": 2.0,
    }
    values.update(overrides)
    return SmsChannel(SmsConfig.model_validate(values), clock=ManualClock(T0))


def sms(
    text: str = "Crue : evitez les berges de la Loire.", to: str = "+33612345678"
) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id="d-1",
        recipient_kind=RecipientKind.PHONE,
        recipient=to,
        text=text,
        exercise=False,
    )


async def _send(ch: SmsChannel, message: OutgoingMessage) -> Receipt:
    try:
        return await ch.send(message)
    finally:
        await ch.aclose()


def send_error(ch: SmsChannel, message: OutgoingMessage) -> SendError:
    with pytest.raises(SendError) as info:
        asyncio.run(_send(ch, message))
    return info.value


def test_sms_is_sent_with_provider_id(gateway: FakeSmsGateway) -> None:
    receipt = asyncio.run(_send(channel(gateway), sms(to="+33 6 12 34 56 78")))
    assert receipt.provider_message_id == "sms-000001"
    assert receipt.accepted_at == T0
    sent = gateway.messages[0]
    assert (sent.to, sent.sender) == ("+33612345678", "PREF45")


def test_rate_limit_uses_retry_after(gateway: FakeSmsGateway) -> None:
    gateway.rate_limit_next(1, retry_after=30)
    error = send_error(channel(gateway), sms())
    assert error.retryable
    assert error.retry_after == 30


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(gateway: FakeSmsGateway, status: int) -> None:
    gateway.fail_next(1, status=status)
    assert send_error(channel(gateway), sms()).retryable


@pytest.mark.parametrize("status", [400, 401, 403])
def test_client_errors_are_permanent(gateway: FakeSmsGateway, status: int) -> None:
    gateway.fail_next(1, status=status)
    assert not send_error(channel(gateway), sms()).retryable


def test_wrong_key_is_permanent_and_secret_free(gateway: FakeSmsGateway) -> None:
    ch = channel(gateway, api_key=SecretStr("bad-secret-key"))
    error = send_error(ch, sms())
    assert not error.retryable
    assert "bad-secret-key" not in str(error) + repr(ch)


def test_gateway_down_is_retryable(gateway: FakeSmsGateway) -> None:
    gateway.go_down("refuse")
    assert send_error(channel(gateway), sms()).retryable


def test_text_above_max_segments_is_refused_before_sending(gateway: FakeSmsGateway) -> None:
    accented = "Fermeture des écoles : la crue dépasse la côte d'alerte, restez à l'étage. " * 2
    error = send_error(channel(gateway, max_segments=2), sms(accented))
    assert not error.retryable
    assert "UCS-2" in error.reason
    assert gateway.requests == []


def test_invalid_number_is_permanent(gateway: FakeSmsGateway) -> None:
    assert not send_error(channel(gateway), sms(to="0612")).retryable
    assert gateway.requests == []


def test_check_publishes_nothing(gateway: FakeSmsGateway) -> None:
    async def run() -> str:
        ch = channel(gateway)
        try:
            return await ch.check()
        finally:
            await ch.aclose()

    assert "joignable" in asyncio.run(run())
    assert gateway.messages == []
