"""Running a command from a route: idempotency key, fingerprint, replay header."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse

from crisis.bootstrap import Service
from crisis.domain.commands import Command
from crisis.domain.errors import InvalidInput
from crisis.services.bus import Presenter
from crisis.services.context import Actor

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Une requête répétée avec la même clé renvoie la première réponse.",
    ),
]


def run_command(
    service: Service,
    actor: Actor,
    request: Request,
    payload: bytes,
    command: Command,
    key: str | None,
    present: Presenter | Any,
) -> JSONResponse:
    """Run through the bus; with a key, a repeat of the same request replays the first answer.

    `payload` is what identifies the request besides its method, path and query: the JSON of
    the body, or the bytes of an uploaded file.
    """
    if key is not None and not key.strip():
        raise InvalidInput("Idempotency-Key", "La clé d'idempotence ne peut pas être vide.")
    target = request.url.path
    if request.url.query:
        target = f"{target}?{request.url.query}"
    fingerprint = hashlib.sha256(f"{request.method} {target}\n".encode() + payload).hexdigest()
    answer = service.bus.handle_and_present(
        command, actor=actor, present=present, key=key, fingerprint=fingerprint
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(status_code=answer.status_code, content=answer.body, headers=headers)
