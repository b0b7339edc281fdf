"""Running a command from a console form: the bus, the form's idempotency key, the answer."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from crisis.domain.commands import Command
from crisis.services.bus import Answer, Presenter, ensure_may_run
from crisis.store.unit_of_work import UnitOfWork
from crisis.web.sessions import CSRF_FIELD, CurrentUser, SignedIn, service_of

KEY_FIELD = "idempotency_key"


def allowed_to(command_type: type[Command]) -> Any:
    """A console route's dependency, as the API's `allowed`: a role that may not run the
    command is refused (403) before its form, its file or its fields are looked at."""

    def check(session: CurrentUser) -> None:
        ensure_may_run(session.actor, command_type)

    return Depends(check)


def _as_is(_: UnitOfWork, result: Any) -> tuple[int, Any]:
    return 200, result


def fingerprint(request: Request, form: FormData) -> str:
    """What identifies a submission besides its key: the address and the fields filled in."""
    fields = sorted(
        (name, str(value))
        for name, value in form.multi_items()
        if name not in (CSRF_FIELD, KEY_FIELD)
    )
    text = f"{request.method} {request.url.path}\n" + "\n".join(f"{k}={v}" for k, v in fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run(
    request: Request,
    session: SignedIn,
    form: FormData,
    command: Command,
    present: Presenter = _as_is,
    *,
    keyed: bool = True,
) -> Any:
    return run_answer(request, session, form, command, present, keyed=keyed).body


def run_answer(
    request: Request,
    session: SignedIn,
    form: FormData,
    command: Command,
    present: Presenter = _as_is,
    *,
    keyed: bool = True,
) -> Answer:
    """Through the bus, as the signed-in user: the same roles and rules as the API.

    A form that carries an idempotency key (pages that create something) is run once: a
    double submit replays the first answer and writes nothing. A second command run for the
    same submission (submitting the draft just composed) passes `keyed=False`: the key
    belongs to the first.
    """
    key = (str(form.get(KEY_FIELD) or "") or None) if keyed else None
    return service_of(request).bus.handle_and_present(
        command,
        actor=session.actor,
        present=present,
        key=key,
        fingerprint=fingerprint(request, form),
    )
