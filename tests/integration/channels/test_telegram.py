"""Telegram channels against the fake Bot API server, through python-telegram-bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from channels.config import TelegramConfig
from channels.contract import OutgoingMessage, RecipientKind, SendError
from channels.telegram import TelegramChannel, telegram_dm, telegram_public
from crisis.clock import ManualClock
from tests.fakes.telegram import FakeTelegramServer

TOKEN = "123456:TEST-secret-token"
T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(token=TOKEN, now=lambda: T0.timestamp()) as server:
        yield server


def config(fake: FakeTelegramServer, **overrides: object) -> TelegramConfig:
    values: dict[str, object] = {
        "token": SecretStr(TOKEN),
        "base_url": fake.base_url,
        "public_chat": "@pref_test",
        "timeout_seconds": 2.0,
    }
    values.update(overrides)
    return TelegramConfig.model_validate(values)


def dm(chat: str = "4242", text: str = "Cellule activée : rejoignez le COD.") -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id="d-1",
        recipient_kind=RecipientKind.TELEGRAM_CHAT,
        recipient=chat,
        text=text,
        exercise=False,
    )


async def _send(channel: TelegramChannel, message: OutgoingMessage) -> object:
    try:
        return await channel.send(message)
    finally:
        await channel.aclose()


def send_error(channel: TelegramChannel, message: OutgoingMessage) -> SendError:
    with pytest.raises(SendError) as info:
        asyncio.run(_send(channel, message))
    return info.value


def test_direct_message_is_sent_with_provider_id_and_clock_instant(
    fake: FakeTelegramServer,
) -> None:
    clock = ManualClock(T0)
    channel = telegram_dm(config(fake), clock=clock)
    receipt = asyncio.run(_send(channel, dm()))
    assert receipt.provider_message_id == "4242:1"  # type: ignore[attr-defined]
    assert receipt.accepted_at == T0  # type: ignore[attr-defined]
    assert [m.text for m in fake.messages["4242"]] == ["Cellule activée : rejoignez le COD."]


def test_public_channel_post_goes_to_the_configured_channel(fake: FakeTelegramServer) -> None:
    channel = telegram_public(config(fake), clock=ManualClock(T0))
    message = OutgoingMessage(
        delivery_id="d-2",
        recipient_kind=RecipientKind.BROADCAST,
        recipient="",
        text="Inondations : évitez les berges de la Loire.",
        exercise=False,
    )
    receipt = asyncio.run(_send(channel, message))
    assert [m.text for m in fake.messages["@pref_test"]] == [message.text]
    assert receipt.provider_message_id.startswith("-100")  # type: ignore[attr-defined]


def test_rate_limit_is_retryable_with_telegram_retry_after(fake: FakeTelegramServer) -> None:
    fake.rate_limit_next(1, retry_after=7)
    error = send_error(telegram_dm(config(fake), clock=ManualClock(T0)), dm())
    assert error.retryable
    assert error.retry_after == 7
    assert fake.message_count == 0


def test_server_error_is_retryable(fake: FakeTelegramServer) -> None:
    fake.fail_next(1, status=500)
    error = send_error(telegram_dm(config(fake), clock=ManualClock(T0)), dm())
    assert error.retryable


@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_provider_down_is_retryable(fake: FakeTelegramServer, mode: str) -> None:
    fake.go_down(mode)  # type: ignore[arg-type]
    error = send_error(telegram_dm(config(fake), clock=ManualClock(T0)), dm())
    assert error.retryable
    fake.come_back()
    receipt = asyncio.run(_send(telegram_dm(config(fake), clock=ManualClock(T0)), dm()))
    assert receipt is not None
    assert fake.message_count == 1


def test_wrong_token_is_permanent_and_never_shows_the_token(fake: FakeTelegramServer) -> None:
    channel = telegram_dm(config(fake, token=SecretStr("999:wrong-secret")), clock=ManualClock(T0))
    error = send_error(channel, dm())
    assert not error.retryable
    assert "wrong-secret" not in str(error)
    assert "wrong-secret" not in repr(channel)


def test_blocked_user_and_unknown_chat_are_permanent(fake: FakeTelegramServer) -> None:
    fake.blocked_chats.add("666")
    fake.unknown_chats.add("777")
    blocked = send_error(telegram_dm(config(fake), clock=ManualClock(T0)), dm("666"))
    unknown = send_error(telegram_dm(config(fake), clock=ManualClock(T0)), dm("777"))
    assert not blocked.retryable
    assert not unknown.retryable
    assert "bloqu" in blocked.reason or "blocked" in blocked.reason


def test_forced_403_and_400_are_permanent(fake: FakeTelegramServer) -> None:
    for status in (403, 400):
        fake.fail_next(1, status=status)
        error = send_error(telegram_dm(config(fake), clock=ManualClock(T0)), dm())
        assert not error.retryable, status


def test_too_long_text_is_refused_before_any_request(fake: FakeTelegramServer) -> None:
    text = "🚨" * 2049  # 4098 UTF-16 units, only 2049 code points
    error = send_error(telegram_dm(config(fake), clock=ManualClock(T0)), dm(text=text))
    assert not error.retryable
    assert fake.requests == []


def test_check_calls_get_me_and_publishes_nothing(fake: FakeTelegramServer) -> None:
    async def run() -> str:
        channel = telegram_public(config(fake), clock=ManualClock(T0))
        try:
            return await channel.check()
        finally:
            await channel.aclose()

    report = asyncio.run(run())
    assert "prefecture_test_bot" in report
    assert fake.message_count == 0
    assert [r.path.rsplit("/", 1)[-1] for r in fake.requests] == ["getMe"]


def test_token_never_reaches_the_debug_logs(
    fake: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        asyncio.run(_send(telegram_dm(config(fake), clock=ManualClock(T0)), dm()))
    assert "Bot API POST sendMessage : HTTP 200" in caplog.text  # one line per request
    assert "Set Bot API URL" in caplog.text  # python-telegram-bot's, with the URL redacted
    assert TOKEN not in caplog.text


def test_exercise_message_refused_on_production_channel(fake: FakeTelegramServer) -> None:
    message = OutgoingMessage(
        delivery_id="d-3",
        recipient_kind=RecipientKind.TELEGRAM_CHAT,
        recipient="4242",
        text="EXERCICE — activation de la cellule",
        exercise=True,
    )
    error = send_error(telegram_dm(config(fake), clock=ManualClock(T0)), message)
    assert not error.retryable
    assert fake.requests == []
    drill = telegram_dm(config(fake, production=False), clock=ManualClock(T0))
    asyncio.run(_send(drill, message))
    assert fake.message_count == 1
