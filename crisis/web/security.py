"""Security headers: a strict Content-Security-Policy on the console, the basics everywhere."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style, nothing from elsewhere; the DSFR's stylesheet embeds its small
# icons as data: images.
CONSOLE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
# Elsewhere (the API, its documentation and its older HTML pages with inline styles) only
# framing is forbidden.
OTHER_CSP = "frame-ancestors 'none'"


def mark_console(request: Request) -> None:
    """Called by every console route (and its error pages): its answer gets the strict policy."""
    request.state.console = True


async def console_dependency(request: Request) -> None:
    """`mark_console` as a route dependency (a coroutine: no hop to the thread pool)."""
    mark_console(request)


class SecurityHeaders:
    """Add the headers to every answer that did not set them itself.

    A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` costs a task and a stream per
    request, more than the read it wraps.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        state = scope.setdefault("state", {})  # where `request.state` keeps what a route marks

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                # The route's dependency has run by now and marked the request in its state.
                console = state.get("console", False) or scope["path"].startswith("/static/")
                headers.setdefault("Content-Security-Policy", CONSOLE_CSP if console else OTHER_CSP)
                if scope.get("scheme") == "https":
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)
