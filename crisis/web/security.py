"""Security headers: a strict Content-Security-Policy on the console, the basics everywhere."""

from __future__ import annotations

from fastapi import Request
from starlette.types import Scope

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


_BASICS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
_CSP = b"content-security-policy"
_CONSOLE_CSP = CONSOLE_CSP.encode()
_OTHER_CSP = OTHER_CSP.encode()
_HSTS = (b"strict-transport-security", b"max-age=31536000")


def with_security_headers(
    scope: Scope, headers: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """The answer's headers and those it did not set itself, in one pass over them (part of
    the one middleware, `crisis.api.front`). The route's dependency has run by now and marked
    the request in its state if it is a console page."""
    present = {name.lower() for name, _ in headers}
    added = [header for header in _BASICS if header[0] not in present]
    if _CSP not in present:
        state = scope.get("state") or {}
        console = state.get("console", False) or scope["path"].startswith("/static/")
        added.append((_CSP, _CONSOLE_CSP if console else _OTHER_CSP))
    if scope.get("scheme") == "https" and _HSTS[0] not in present:
        added.append(_HSTS)
    return [*headers, *added]
