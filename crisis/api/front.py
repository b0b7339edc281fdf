"""The one middleware every request goes through: pure ASGI, one pass.

Each middleware layer costs a coroutine frame and a wrapped `send` per request, and
Starlette's `BaseHTTPMiddleware` a task and a stream on top: with four layers, the chain cost
more than the read it wrapped. This one does in one pass what they did:

- refuses, before any parsing, a path holding a control character (404) and a body over its
  route's limit (413; `crisis.api.limits`, only for a request that may carry a body);
- takes or makes the request id (`crisis.api.operations.RequestIds`), puts it in the log
  context and in the `X-Request-ID` answer header;
- adds the security headers an answer did not set itself (`crisis.web.security`);
- answers `HEAD` wherever `GET` is (`crisis.api.head_requests`, for `HEAD` only);
- counts the request for /metrics and writes its access line (`RequestObserver`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crisis.api.head_requests import HeadAsGet
from crisis.api.limits import BodyLimit, RequestLimits, answer_error, has_refused_character
from crisis.api.operations import RequestIds, RequestObserver
from crisis.bootstrap import Service
from crisis.ops.logs import enter_context, leave_context
from crisis.web.security import with_security_headers

# Methods whose requests carry no body unless they say so (Content-Length, Transfer-Encoding).
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


def _may_carry_a_body(scope: Scope) -> bool:
    if scope["method"] not in _BODILESS:
        return True
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope["headers"])


class Front:
    def __init__(
        self,
        app: ASGIApp,
        *,
        body_limit: BodyLimit,
        own_pages: tuple[str, ...] = (),
        service: Service | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self._own_pages = own_pages
        self._head = HeadAsGet(app)
        self._limited = RequestLimits(app, body_limit=body_limit, own_pages=own_pages)
        self._limited_head = RequestLimits(self._head, body_limit=body_limit, own_pages=own_pages)
        self._ids = RequestIds()
        self._observe = RequestObserver(service)
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self._clock()
        scope.setdefault("state", {})  # where `request.state` keeps what a route marks
        request_id = self._ids.take(scope)
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        status = 500

        async def front_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = with_security_headers(scope, list(message.get("headers", ())))
                headers.append(id_header)
                message["headers"] = headers
            await send(message)

        token = enter_context(request_id=request_id)
        try:
            await self._route(scope, receive, front_send)
        finally:
            self._observe(scope, status, self._clock() - started)  # its line has the id
            leave_context(token)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        head = scope["method"] == "HEAD"
        if _may_carry_a_body(scope):
            await (self._limited_head if head else self._limited)(scope, receive, send)
            return
        path: str = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        if not scope["path"].startswith(self._own_pages) and has_refused_character(path):
            await answer_error(send, 404, "not_found", "Adresse inconnue.")
            return
        await (self._head if head else self.app)(scope, receive, send)
