"""A fake X API v2 server: POST /2/tweets (replies make threads) and GET /2/users/me."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from channels.measure import X_MAX_WEIGHTED_LENGTH, x_weighted_length
from tests.fakes._http import FakeHttpServer, Request, Response


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    text: str
    in_reply_to: str | None
    authorization: str  # the scheme only ("OAuth" or "Bearer"), never the credentials


class FakeXServer(FakeHttpServer):
    """X API v2 for posting.

    - `posts` lists accepted posts; `thread_of(first_id)` follows the replies.
    - `daily_limit` / `daily_remaining`: the 24-hour user quota, sent as
      `x-user-limit-24hour-*` headers (and `x-app-limit-24hour-*` with `app_daily_limit`);
      when none remains, POST /2/tweets answers 429 as X does.
    - `window_limit` for `x-rate-limit-*` (the 15-minute window).
    - `reject_auth = True` answers 401 to everything; `now` gives the epoch for resets.
    """

    def __init__(
        self,
        *,
        daily_limit: int = 100,
        app_daily_limit: int | None = None,
        window_limit: int = 100,
        now: Callable[[], float] = time.time,
        username: str = "prefet_test",
    ) -> None:
        super().__init__()
        self.now = now
        self.username = username
        self.daily_limit = daily_limit
        self.daily_remaining = daily_limit
        self.app_daily_limit = app_daily_limit
        self.app_daily_remaining = app_daily_limit
        self.window_limit = window_limit
        self.window_remaining = window_limit
        self.reject_auth = False
        self.posts: list[Post] = []
        self._ids = itertools.count(1_850_000_000_000_000_001)
        self._state_lock = threading.Lock()

    def thread_of(self, first_id: str) -> list[Post]:
        by_parent = {p.in_reply_to: p for p in self.posts if p.in_reply_to}
        chain = [p for p in self.posts if p.id == first_id]
        while chain and chain[-1].id in by_parent:
            chain.append(by_parent[chain[-1].id])
        return chain

    def _reset_epoch(self, seconds: int) -> int:
        return int(self.now()) + seconds

    def _limit_headers(self) -> dict[str, str]:
        headers = {
            "x-rate-limit-limit": str(self.window_limit),
            "x-rate-limit-remaining": str(max(0, self.window_remaining)),
            "x-rate-limit-reset": str(self._reset_epoch(900)),
            "x-user-limit-24hour-limit": str(self.daily_limit),
            "x-user-limit-24hour-remaining": str(max(0, self.daily_remaining)),
            "x-user-limit-24hour-reset": str(self._reset_epoch(86_400)),
        }
        if self.app_daily_limit is not None and self.app_daily_remaining is not None:
            headers["x-app-limit-24hour-limit"] = str(self.app_daily_limit)
            headers["x-app-limit-24hour-remaining"] = str(max(0, self.app_daily_remaining))
            headers["x-app-limit-24hour-reset"] = str(self._reset_epoch(86_400))
        return headers

    @staticmethod
    def _problem(status: int, title: str, detail: str, headers: dict[str, str]) -> Response:
        return Response.json(
            status,
            {"title": title, "detail": detail, "type": "about:blank", "status": status},
            headers,
        )

    def rate_limited_response(self, request: Request, retry_after: float) -> Response:
        headers = self._limit_headers()
        headers["x-rate-limit-remaining"] = "0"
        headers["x-rate-limit-reset"] = str(int(self.now() + retry_after))
        return self._problem(429, "Too Many Requests", "Too Many Requests", headers)

    def error_response(self, request: Request, status: int, detail: str | None) -> Response:
        titles = {400: "Invalid Request", 401: "Unauthorized", 403: "Forbidden"}
        title = titles.get(status, "Service Unavailable" if status == 503 else "Internal Error")
        return self._problem(status, title, detail or title, self._limit_headers())

    def handle(self, request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        scheme = authorization.split(" ", 1)[0]
        if self.reject_auth or scheme not in ("OAuth", "Bearer"):
            return self._problem(401, "Unauthorized", "Unauthorized", {})
        if request.method == "GET" and request.path == "/2/users/me":
            return Response.json(
                200,
                {"data": {"id": "1234567890", "name": "Préfet (test)", "username": self.username}},
                self._limit_headers(),
            )
        if request.method == "POST" and request.path == "/2/tweets":
            return self._create(request.json(), scheme)
        return self._problem(404, "Not Found Error", "route inconnue", {})

    def _create(self, payload: dict[str, Any], scheme: str) -> Response:
        text = str(payload.get("text", ""))
        reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        with self._state_lock:
            if self.daily_remaining <= 0 or (
                self.app_daily_remaining is not None and self.app_daily_remaining <= 0
            ):
                return self._problem(
                    429, "Too Many Requests", "Too Many Requests", self._limit_headers()
                )
            if not text:
                return self._problem(400, "Invalid Request", "text is empty", {})
            if x_weighted_length(text) > X_MAX_WEIGHTED_LENGTH:
                return self._problem(400, "Invalid Request", "Your Tweet text is too long.", {})
            if reply_to is not None and reply_to not in {p.id for p in self.posts}:
                return self._problem(
                    400, "Invalid Request", "in_reply_to_tweet_id is not found", {}
                )
            post_id = str(next(self._ids))
            self.posts.append(Post(post_id, text, reply_to, scheme))
            self.daily_remaining -= 1
            self.window_remaining -= 1
            if self.app_daily_remaining is not None:
                self.app_daily_remaining -= 1
            headers = self._limit_headers()
        return Response.json(
            201,
            {"data": {"id": post_id, "text": text, "edit_history_tweet_ids": [post_id]}},
            headers,
        )
