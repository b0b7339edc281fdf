"""Security headers: a strict Content-Security-Policy on the console, the basics everywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

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
    """A dependency of every console route: its answer gets the strict policy."""
    request.state.console = True


def install_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        console = getattr(request.state, "console", False) or request.url.path.startswith(
            "/static/"
        )
        headers.setdefault("Content-Security-Policy", CONSOLE_CSP if console else OTHER_CSP)
        if request.url.scheme == "https":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
