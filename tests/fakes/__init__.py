"""Provider fakes: real servers on 127.0.0.1, each in a background thread.

Every fake has `start()` / `stop()`, works as a context manager, exposes `url`, records what it
received, and injects failures: `rate_limit_next(n, retry_after=...)`, `fail_next(n, status=...)`
(SMTP: `fail_next(n, code=..., stage=...)`), `go_down(...)` / `come_back()`.
"""

from tests.fakes.sms import FakeSmsGateway
from tests.fakes.smtp import FakeSmtpServer
from tests.fakes.telegram import FakeTelegramServer
from tests.fakes.webhook import FakeWebhookReceiver
from tests.fakes.x import FakeXServer

__all__ = [
    "FakeSmsGateway",
    "FakeSmtpServer",
    "FakeTelegramServer",
    "FakeWebhookReceiver",
    "FakeXServer",
]
