"""A fake Telegram Bot API server, reached by python-telegram-bot through `base_url`."""

from __future__ import annotations

import itertools
import re
import threading
import time
import zlib
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes._http import FakeHttpServer, Request, Response

_ROUTE = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")


@dataclass(frozen=True, slots=True)
class SentMessage:
    chat_id: str  # as the bot sent it: a numeric id or an @username
    message_id: int
    text: str
    parse_mode: str | None
    date: int
    reply_markup: str | None = None  # the JSON of an inline keyboard, as sent


class FakeTelegramServer(FakeHttpServer):
    """Answers getMe, sendMessage, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
    answerCallbackQuery like the Bot API (`{"ok": true, "result": ...}`).

    - `base_url` is what python-telegram-bot takes (`Bot(token, base_url=fake.base_url)`).
    - `messages` maps each chat (as addressed) to the messages sent to it; `sent` lists them all.
    - `enqueue_update(update)` queues a raw update dict for getUpdates (update_id assigned).
    - `blocked_chats` answer 403 (bot blocked), `unknown_chats` answer 400 (chat not found).
    - `next_message_id` and the message dates come from `now` (seconds since the epoch).
    """

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token",  # noqa: S107 (a fake's own token)
        bot_username: str = "prefecture_test_bot",
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.token = token
        self.bot_username = bot_username
        self.now = now
        self.sent: list[SentMessage] = []
        self.messages: dict[str, list[SentMessage]] = defaultdict(list)
        self.blocked_chats: set[str] = set()
        self.unknown_chats: set[str] = set()
        self.webhook_url = ""
        self.answered_callbacks: list[str] = []
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._state_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    def enqueue_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        with self._state_lock:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, **update})
        return update_id

    @property
    def message_count(self) -> int:
        return len(self.sent)

    # responses -----------------------------------------------------------------------------

    @staticmethod
    def _ok(result: Any) -> Response:
        return Response.json(200, {"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, **parameters: Any) -> Response:
        payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            payload["parameters"] = parameters
        return Response.json(status, payload)

    def rate_limited_response(self, request: Request, retry_after: float) -> Response:
        seconds = max(1, round(retry_after))
        return self._error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)

    def error_response(self, request: Request, status: int, detail: str | None) -> Response:
        descriptions = {
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }
        return self._error(status, detail or descriptions.get(status, f"Error {status}"))

    def handle(self, request: Request) -> Response:
        match = _ROUTE.match(request.path)
        if match is None:
            return self._error(404, "Not Found")
        if match["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = match["method"]
        params = request.form() if request.body else {}
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        result: Response = handler(params)
        return result

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": int(self.token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Préfecture (test)",
            "username": self.bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_getMe(self, params: dict[str, str]) -> Response:  # noqa: N802
        return self._ok(self._bot_user())

    def _api_sendMessage(self, params: dict[str, str]) -> Response:  # noqa: N802
        chat = params.get("chat_id", "")
        text = params.get("text", "")
        if not chat:
            return self._error(400, "Bad Request: chat_id is empty")
        if not text:
            return self._error(400, "Bad Request: message text is empty")
        if chat in self.blocked_chats:
            return self._error(403, "Forbidden: bot was blocked by the user")
        if chat in self.unknown_chats:
            return self._error(400, "Bad Request: chat not found")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self._error(400, "Bad Request: message is too long")
        date = int(self.now())
        with self._state_lock:
            message_id = next(self._message_ids)
            record = SentMessage(
                chat, message_id, text, params.get("parse_mode"), date, params.get("reply_markup")
            )
            self.sent.append(record)
            self.messages[chat].append(record)
        if chat.startswith("@"):
            chat_obj: dict[str, Any] = {
                "id": -1000000000000 - zlib.crc32(chat.encode()),
                "type": "channel",
                "title": chat[1:],
                "username": chat[1:],
            }
        else:
            chat_id = int(chat)
            chat_obj = (
                {"id": chat_id, "type": "private", "first_name": "Destinataire"}
                if chat_id > 0
                else {"id": chat_id, "type": "channel", "title": "Canal"}
            )
        result: dict[str, Any] = {
            "message_id": message_id,
            "date": date,
            "chat": chat_obj,
            "text": text,
        }
        if chat_obj["type"] == "private":
            result["from"] = self._bot_user()
        return self._ok(result)

    def _api_getUpdates(self, params: dict[str, str]) -> Response:  # noqa: N802
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        with self._state_lock:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
            batch = list(itertools.islice(self._updates, limit))
        return self._ok(batch)

    def _api_setWebhook(self, params: dict[str, str]) -> Response:  # noqa: N802
        self.webhook_url = params.get("url", "")
        return self._ok(True)

    def _api_deleteWebhook(self, params: dict[str, str]) -> Response:  # noqa: N802
        self.webhook_url = ""
        if params.get("drop_pending_updates") in ("true", "True"):
            with self._state_lock:
                self._updates.clear()
        return self._ok(True)

    def _api_getWebhookInfo(self, params: dict[str, str]) -> Response:  # noqa: N802
        with self._state_lock:
            pending = len(self._updates)
        return self._ok(
            {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": pending,
            }
        )

    def _api_answerCallbackQuery(self, params: dict[str, str]) -> Response:  # noqa: N802
        self.answered_callbacks.append(params.get("callback_query_id", ""))
        return self._ok(True)
