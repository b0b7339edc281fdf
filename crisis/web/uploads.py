"""A file uploaded in two steps: checked and previewed, then applied without sending it again.

The preview page carries the file in a hidden field (base64) with its SHA-256, so applying
needs no server-side storage between the two requests and applies exactly what was previewed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from crisis.domain.commands import Command
from crisis.domain.errors import InvalidInput
from crisis.web import forms
from crisis.web.sessions import SignedIn, service_of

# A directory or a roster of a département is far below this (the API's limit as well).
MAX_UPLOAD_BYTES = 5_000_000
CONTENT_FIELD = "content"
SHA_FIELD = "sha256"
NAME_FIELD = "file_name"


async def read_upload(
    form: FormData, name: str, *, missing: str = "Choisissez le fichier CSV à importer."
) -> tuple[str, bytes]:
    """The file's name and content; a French error beside the field if missing or too big."""
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput(name, missing)
    try:
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
    finally:
        await upload.close()
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            name, f"Fichier trop volumineux ({MAX_UPLOAD_BYTES // 1_000_000} Mo au plus)."
        )
    return upload.filename[:200], content


def carry(file_name: str, content: bytes) -> dict[str, str]:
    """The hidden fields of the « apply » form."""
    return {
        NAME_FIELD: file_name,
        SHA_FIELD: hashlib.sha256(content).hexdigest(),
        CONTENT_FIELD: base64.b64encode(content).decode("ascii"),
    }


def carried(form: FormData) -> tuple[str, bytes]:
    """The file the preview carried, checked against its fingerprint."""
    try:
        raw = forms.text(form, CONTENT_FIELD, limit=2 * MAX_UPLOAD_BYTES)
        content = base64.b64decode(raw, validate=True)
    except binascii.Error:
        raise InvalidInput(
            CONTENT_FIELD, "Le fichier transmis est illisible : recommencez."
        ) from None
    if hashlib.sha256(content).hexdigest() != forms.text(form, SHA_FIELD, limit=64):
        raise InvalidInput(CONTENT_FIELD, "Le fichier transmis a été altéré : recommencez.")
    return forms.text(form, NAME_FIELD, limit=200), content


async def rehearsed(request: Request, session: SignedIn, command: Command) -> Any:
    """What the import command would do with the file, nothing kept (`MessageBus.rehearse`)."""
    bus = service_of(request).bus
    return await run_in_threadpool(bus.rehearse, command, actor=session.actor)


def preview(report: Any, file_name: str, content: bytes) -> dict[str, Any]:
    """What the preview page shows and carries to the « apply » form."""
    return {
        "report": report,
        "file_name": file_name,
        "carried": carry(file_name, content),
        "idempotency_key": str(uuid.uuid4()),
    }
