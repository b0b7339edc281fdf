"""What the passkey routes share: this console as a WebAuthn relying party, JSON answers."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from crisis.services.passkeys import RelyingParty
from crisis.web.sessions import service_of


def relying_party(request: Request) -> RelyingParty:
    """The host the browser shows (behind a reverse proxy, as it forwards it): a passkey is
    bound to it, so the console must keep one address."""
    return RelyingParty(
        id=request.url.hostname or "localhost",
        name=service_of(request).settings.prefecture_name,
        origin=f"{request.url.scheme}://{request.url.netloc}",
    )


def refused(message: str, status: int = 401) -> JSONResponse:
    return JSONResponse(
        {"error": message}, status_code=status, headers={"Cache-Control": "no-store"}
    )


def answer(values: dict[str, str]) -> JSONResponse:
    return JSONResponse(values, headers={"Cache-Control": "no-store"})
