"""A provider answering with a redirect: never followed, never taken for an acceptance.

aiohttp follows redirects by default and calls a 3xx answer `ok`; the HTTP channels turn both
off, as httpx behaved: a message is accepted by a 2xx answer from the address configured.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from channels.config import SmsConfig, TelegramConfig, WebhookConfig
from channels.contract import RecipientKind
from channels.sms import SmsChannel
from channels.telegram import telegram_dm
from channels.webhook import WebhookChannel
from crisis.clock import ManualClock
from tests.fakes._http import FakeHttpServer, Request, Response
from tests.integration.channels.sending import outgoing, refusal

T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNERUY="


class _Redirecting(FakeHttpServer):
    """Sends every request elsewhere (307 keeps the method and body), and accepts it there."""

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/ailleurs"):
            message = {"message_id": 1, "date": 0, "chat": {"id": 4242, "type": "private"}}
            return Response.json(200, {"ok": True, "result": message, "id": "sms-1"})
        return Response(307, b"", {"Location": f"http://127.0.0.1:{self.port}/ailleurs"})


@pytest.fixture
def server() -> Iterator[_Redirecting]:
    with _Redirecting() as running:
        yield running


def test_sms_gateway_redirect_is_a_final_refusal(server: _Redirecting) -> None:
    config = SmsConfig(base_url=f"http://127.0.0.1:{server.port}", api_key=SecretStr("k"))
    error = refusal(
        SmsChannel(config, clock=ManualClock(T0)), outgoing("+33612345678", RecipientKind.PHONE)
    )
    assert error.reason == "La passerelle SMS refuse le message (HTTP 307)"
    assert not error.retryable
    assert [r.path for r in server.requests] == ["/messages"]


def test_webhook_redirect_is_a_final_refusal(server: _Redirecting) -> None:
    channel = WebhookChannel(WebhookConfig(secret=SecretStr(SECRET)), clock=ManualClock(T0))
    error = refusal(channel, outgoing(f"http://127.0.0.1:{server.port}/hook", RecipientKind.URL))
    assert error.reason == "Le webhook refuse le message (HTTP 307)"
    assert [r.path for r in server.requests] == ["/hook"]


def test_telegram_redirect_is_not_followed(server: _Redirecting) -> None:
    config = TelegramConfig(
        token=SecretStr("123456:TEST-secret-token"), base_url=f"http://127.0.0.1:{server.port}/bot"
    )
    refusal(
        telegram_dm(config, clock=ManualClock(T0)), outgoing("4242", RecipientKind.TELEGRAM_CHAT)
    )
    assert [r.path for r in server.requests] == ["/bot123456:TEST-secret-token/sendMessage"]
