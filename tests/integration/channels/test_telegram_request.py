"""python-telegram-bot's aiohttp transport: timeouts, event loops, uploads, connection reuse."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from telegram import Bot, LinkPreviewOptions
from telegram.error import Forbidden, TimedOut

from channels.config import TelegramConfig
from channels.contract import OutgoingMessage, RecipientKind
from channels.telegram import telegram_dm
from channels.telegram_request import AiohttpRequest
from crisis.clock import ManualClock
from tests.fakes._http import FakeHttpServer, Request, Response
from tests.fakes.telegram import FakeTelegramServer
from tests.integration.channels.sending import outgoing, refusal

TOKEN = "123456:TEST-secret-token"
T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)


def dm(chat: str = "4242") -> OutgoingMessage:
    return outgoing(chat, RecipientKind.TELEGRAM_CHAT)


@pytest.fixture
def fake() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(token=TOKEN, now=lambda: T0.timestamp()) as server:
        yield server


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    listener.close()


def test_a_provider_that_never_answers_is_a_retryable_timeout(silent_port: int) -> None:
    config = TelegramConfig(
        token=SecretStr(TOKEN),
        base_url=f"http://127.0.0.1:{silent_port}/bot",
        timeout_seconds=0.5,
    )
    channel = telegram_dm(config, clock=ManualClock(T0))
    started = time.monotonic()
    error = refusal(channel, dm())
    assert error.retryable
    assert error.reason == "Telegram : délai dépassé (pas de réponse à temps)."
    assert time.monotonic() - started < 5


def test_one_channel_serves_successive_event_loops(fake: FakeTelegramServer) -> None:
    """The service's loop, then a CLI command's: each loop gets a session of its own."""
    config = TelegramConfig(token=SecretStr(TOKEN), base_url=fake.base_url)
    channel = telegram_dm(config, clock=ManualClock(T0))

    async def send_and_close(chat: str) -> str:
        try:
            return (await channel.send(dm(chat))).provider_message_id
        finally:
            await channel.aclose()

    assert asyncio.run(send_and_close("1")) == "1:1"
    assert asyncio.run(send_and_close("2")) == "2:2"


def test_a_session_left_open_on_a_finished_loop_is_replaced(fake: FakeTelegramServer) -> None:
    request = AiohttpRequest(connection_pool_size=2, timeout_seconds=2)
    bot = Bot(TOKEN, base_url=fake.base_url, request=request)
    asyncio.run(bot.send_message(chat_id="1", text="Premier"))  # never closed on its loop

    async def second() -> None:
        try:
            await bot.send_message(chat_id="2", text="Second")
        finally:
            await request.shutdown()

    with warnings.catch_warnings():
        # The abandoned session's sockets go to the garbage collector, which says so.
        warnings.simplefilter("ignore", ResourceWarning)
        asyncio.run(second())
        gc.collect()
    assert [sent.text for sent in fake.sent] == ["Premier", "Second"]


def test_connections_are_kept_and_reused_up_to_the_pool_size(fake: FakeTelegramServer) -> None:
    config = TelegramConfig(token=SecretStr(TOKEN), base_url=fake.base_url, connection_pool_size=4)
    channel = telegram_dm(config, clock=ManualClock(T0))
    opened: list[str] = []

    async def fan_out() -> None:
        try:
            await asyncio.gather(*(channel.send(dm(str(100 + i))) for i in range(40)))
        finally:
            await channel.aclose()

    connect = socket.socket.connect

    def counting_connect(self: socket.socket, address: object) -> None:
        opened.append(str(address))
        connect(self, address)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", counting_connect)
        asyncio.run(fan_out())
    assert fake.message_count == 40
    assert 1 <= len(opened) <= 4


class _UploadCapture(FakeHttpServer):
    """Answers every call as sendDocument would; keeps the requests."""

    def handle(self, request: Request) -> Response:
        message = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}}
        return Response.json(200, {"ok": True, "result": message})


def test_uploads_go_as_multipart_form_data() -> None:
    async def upload(base_url: str) -> None:
        request = AiohttpRequest(connection_pool_size=2, timeout_seconds=2)
        async with request:
            bot = Bot(TOKEN, base_url=base_url, request=request)
            await bot.send_document(
                chat_id=42, document=b"Main courante\n", filename="main-courante.txt"
            )

    with _UploadCapture() as server:
        asyncio.run(upload(f"http://127.0.0.1:{server.port}/bot"))
    (call,) = server.requests
    assert call.path.endswith("/sendDocument")
    assert call.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'filename="main-courante.txt"' in call.body
    assert b"Main courante\n" in call.body
    assert b'name="chat_id"' in call.body


def test_a_text_goes_as_the_library_sends_it_and_gives_the_message_s_ids() -> None:
    """`send_text` (the fan-out's path) sends the very request of `Bot.send_message`."""

    async def both(base_url: str) -> tuple[int, int]:
        request = AiohttpRequest(connection_pool_size=2, timeout_seconds=2)
        async with request:
            bot = Bot(TOKEN, base_url=base_url, request=request)
            await bot.send_message(
                chat_id="42",
                text="Crue : évitez les berges.",
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return await request.send_text(bot.base_url, "42", "Crue : évitez les berges.")

    with _UploadCapture() as server:
        ids = asyncio.run(both(f"http://127.0.0.1:{server.port}/bot"))
    assert ids == (42, 7)
    library, ours = server.requests
    assert ours.path == library.path
    assert ours.path.endswith(f"/bot{TOKEN}/sendMessage")
    assert json.loads(ours.body) == json.loads(library.body)
    assert ours.headers["content-type"] == library.headers["content-type"]


def test_a_refused_text_raises_the_library_s_errors(fake: FakeTelegramServer) -> None:
    fake.blocked_chats.add("4242")

    async def send(base_url: str) -> None:
        request = AiohttpRequest(connection_pool_size=2, timeout_seconds=2)
        async with request:
            await request.send_text(f"{base_url}{TOKEN}", "4242", "Crue")

    with pytest.raises(Forbidden, match="blocked"):
        asyncio.run(send(fake.base_url))


def test_an_unreachable_provider_reads_short_and_logs_the_detail(
    fake: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake.go_down("refuse")
    channel = telegram_dm(
        TelegramConfig(token=SecretStr(TOKEN), base_url=fake.base_url), clock=ManualClock(T0)
    )

    with caplog.at_level(logging.WARNING, logger="channels.telegram_request"):
        error = refusal(channel, dm())
    assert error.retryable
    assert error.reason == "Telegram injoignable (ClientConnectorError)."
    assert "Bot API sendMessage injoignable : Cannot connect to host 127.0.0.1" in caplog.text
    assert TOKEN not in caplog.text


def test_a_call_s_own_read_timeout_is_honoured(silent_port: int) -> None:
    """python-telegram-bot passes per-call timeouts (long polling does): they win over the
    transport's default."""

    async def call() -> None:
        request = AiohttpRequest(connection_pool_size=2, timeout_seconds=30)
        async with request:
            bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{silent_port}/bot", request=request)
            await bot.get_me(read_timeout=0.3)

    started = time.monotonic()
    with pytest.raises(TimedOut):
        asyncio.run(call())
    assert time.monotonic() - started < 5
