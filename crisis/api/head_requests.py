"""`HEAD` answered wherever `GET` is (RFC 9110 §9.3.2): the GET's status and headers, no body.

FastAPI registers each route for the methods it declares, so a `HEAD` on a GET route answered
405. This wrapper, which the one middleware (`crisis.api.front`) puts around the application for
`HEAD` requests only, runs one as the `GET` it stands for and sends only the start of the
answer; the access log and the metrics still see `HEAD`. An address without a GET route
answers `HEAD` as it answers `GET` (404, or 405 with its `Allow` header).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _AnswerSentError(Exception):
    """Stops a streamed answer once its headers went out: nobody reads the rest."""


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.start":
                await send(message)
                return
            if ended:
                return
            ended = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            if message.get("more_body", False):
                raise _AnswerSentError

        # A copy: the server reads the method of its own scope while it sends (no body is
        # due after the headers of a HEAD answer).
        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, headers_only)
        except _AnswerSentError:
            pass
        finally:
            # What the router recorded (the matched route), for the metrics around.
            scope.update({k: v for k, v in as_get.items() if k != "method"})
