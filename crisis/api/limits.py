"""Request limits enforced before any parsing: body size, and paths no record can have.

An ASGI middleware, so that a 50 MB body is refused from its `Content-Length` (or once the
bytes read pass the limit) without being read in full, and a path holding a control character
is refused before it reaches a route or the database.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crisis.api.errors import ErrorBody, ErrorDetail

BodyLimit = Callable[[str], int]


class _BodyTooLargeError(Exception):
    pass


def _error_bytes(code: str, message: str) -> bytes:
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    return json.dumps(body.model_dump(), ensure_ascii=False).encode()


def has_refused_character(path: str) -> bool:
    if "%" not in path and path.isascii() and path.isprintable():
        return False  # the usual path, decided without looking at each character
    text = unquote(path, errors="surrogateescape")
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


class RequestLimits:
    """Answer 413 for a body over its route's limit and 404 for a path with control characters."""

    def __init__(
        self, app: ASGIApp, *, body_limit: BodyLimit, own_pages: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.body_limit = body_limit
        # Paths whose routes answer a malformed address with their own page (French HTML).
        self.own_pages = own_pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        if not scope["path"].startswith(self.own_pages) and has_refused_character(path):
            await answer_error(send, 404, "not_found", "Adresse inconnue.")
            return
        limit = self.body_limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await answer_error(send, 413, "too_large", _too_large(limit))
            return
        received = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # The framework turns any error while reading into its own 400: stop
                    # reading here, and answer 413 in place of whatever it says.
                    exceeded = True
                    raise _BodyTooLargeError
            return message

        async def replacing_send(message: Message) -> None:
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start":
                await answer_error(send, 413, "too_large", _too_large(limit))

        try:
            await self.app(scope, limited_receive, replacing_send)
        except _BodyTooLargeError:
            await answer_error(send, 413, "too_large", _too_large(limit))


def _too_large(limit: int) -> str:
    return f"Requête trop volumineuse : {limit:,} octets au plus.".replace(",", " ")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def answer_error(send: Send, status: int, code: str, message: str) -> None:
    body = _error_bytes(code, message)
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# Probes and the scrape answer without the database (the scrape counts its failures itself).
WITHOUT_DATABASE = frozenset({"/healthz", "/metrics"})


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every operation the error answers the framework itself can make, in one shape.

    FastAPI documents its own `{"detail": …}` 422 on routes that did not declare theirs; the
    service answers `{"error": …}` everywhere, 400 or 413 for any route with a body, and 503
    for any route that reads the database when it does not answer.
    """
    reference = {"$ref": "#/components/schemas/ErrorBody"}
    content = {"application/json": {"schema": reference}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            if path not in WITHOUT_DATABASE:
                answers.setdefault(
                    "503",
                    {
                        "description": "Base de données injoignable : réessayer dans un instant "
                        "(en-tête Retry-After).",
                        "content": content,
                    },
                )
            if "422" in answers:
                answers["422"] = {
                    "description": "Entrée invalide : le champ et la raison sont donnés.",
                    "content": content,
                }
            if "requestBody" in operation:
                answers.setdefault(
                    "400", {"description": "Corps de requête illisible.", "content": content}
                )
                answers.setdefault(
                    "413", {"description": "Requête trop volumineuse.", "content": content}
                )
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                answers.setdefault("404", {"description": "Introuvable.", "content": content})
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema
