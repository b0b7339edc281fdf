"""Ouvrir un événement et activer le COD: one form, errors beside their field, no double."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.crisis import activation_problems, opening_problems
from crisis.domain.duplicates import LikelyDuplicate, rule_sentence
from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import CRISIS_KIND_LABELS, CrisisKind
from crisis.services import step_up
from crisis.settings import Settings
from crisis.web import forms
from crisis.web.commands import allowed_to, run
from crisis.web.pages.step_up import require_fresh_verification
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of

router = console_router()
T = TypeVar("T")

KINDS = [(k.value, label) for k, label in CRISIS_KIND_LABELS.items()]


def _form_page(
    request: Request,
    session: SignedIn,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    duplicate: LikelyDuplicate | None = None,
) -> Response:
    service = service_of(request)
    communes = sorted(set(service.settings.communes) | set(values.get("communes", [])))
    return page(
        request,
        "open_event.html.j2",
        {
            "values": values,
            "errors": errors,
            "kinds": KINDS,
            "communes": [(c, c) for c in communes],
            "now": service.clock.now(),
            "rule": rule_sentence(service.settings.duplicate_window_hours),
            "duplicate": duplicate,
        },
        session=session,
        status_code=status,
    )


@router.get("/evenements/nouveau")
def open_form(request: Request, session: CurrentUser) -> Response:
    values = {
        "idempotency_key": str(uuid.uuid4()),
        "kind": CrisisKind.INONDATION.value,
        "communes": [],
        "decided_at": service_of(request).clock.now(),
        "decided_by": "",
        "activate": True,
        "nature": "",
    }
    return _form_page(request, session, values, {})


class FormErrors(Exception):  # noqa: N818
    """Every field the form got wrong, by field: shown all at once, nothing created."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _field(errors: dict[str, str], read: Callable[[], T]) -> T | None:
    """A field read, or None with its error noted (the others are read all the same)."""
    try:
        return read()
    except InvalidInput as error:
        errors.setdefault(error.field, error.message)
        return None


def _command(form: FormData, settings: Settings, now: datetime) -> OpenCrisis:
    errors: dict[str, str] = {}
    nature = forms.text(form, "nature", limit=10)
    if nature not in ("exercice", "reel"):
        errors["nature"] = "Choisissez : exercice ou événement réel."
    elif nature == "reel" and form.get("confirm_reel") != "oui":
        errors["confirm_reel"] = (
            "Confirmez qu'il s'agit d'un événement réel : les messages partiront sans la "
            "mention EXERCICE, vers les vrais destinataires."
        )
    try:
        kind = CrisisKind(forms.text(form, "kind", limit=40))
    except ValueError:
        errors["kind"] = "Choisissez la nature de l'événement dans la liste."
        kind = CrisisKind.AUTRE
    communes = forms.choices(form, "communes")
    unknown = [c for c in communes if settings.communes and c not in settings.communes]
    if unknown:
        errors["communes"] = f"Commune inconnue du département : {unknown[0]}."
    title = _field(errors, lambda: forms.text(form, "title", limit=200)) or ""
    for name, problem in opening_problems(
        title=title, communes=communes, reported_at=now, now=now
    ).items():
        errors.setdefault(name, problem)
    activation = None
    if form.get("activate") == "oui":
        decided_by = _field(errors, lambda: forms.text(form, "decided_by", limit=120)) or ""
        synergi_ref = _field(errors, lambda: forms.text(form, "synergi_ref", limit=120)) or None
        decided_at = _field(errors, lambda: forms.paris_instant(form, "decided_at"))
        for name, problem in activation_problems(
            decided_at=decided_at or now,
            decided_by=decided_by,
            synergi_ref=synergi_ref,
            synergi_pattern=settings.synergi_pattern,
            exercise=nature != "reel",
            now=now,
            policy=settings.clock_policy,
        ).items():
            errors.setdefault(name, problem)
        activation = CodDecision(
            decided_by=decided_by, synergi_ref=synergi_ref, decided_at=decided_at
        )
    if errors:
        raise FormErrors(errors)
    return OpenCrisis(
        title=title,
        kind=kind,
        exercise=nature == "exercice",
        communes=tuple(communes),
        activation=activation,
        # Posted once the person has seen the likely duplicate and said it is another event.
        check_duplicates=form.get("distinct") != "oui",
    )


@router.post("/evenements", dependencies=[allowed_to(OpenCrisis)])
def open_event(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    service = service_of(request)
    if form.get("activate") == "oui":
        require_fresh_verification(request, session, step_up.ACTIVATE_COD, "/evenements/nouveau")
    try:
        crisis_id = run(
            request, session, form, _command(form, service.settings, service.clock.now())
        )
    except FormErrors as wrong:
        return _form_page(request, session, _posted(form), wrong.errors, 422)
    except LikelyDuplicate as duplicate:
        return _form_page(request, session, _posted(form), {}, status=409, duplicate=duplicate)
    except InvalidInput as error:
        return _form_page(request, session, _posted(form), {error.field: error.message}, 422)
    return RedirectResponse(f"/evenements/{crisis_id}?fait=ouvert", status_code=303)


def _posted(form: FormData) -> dict[str, Any]:
    """The form's values as posted, to show it again."""
    values: dict[str, Any] = {
        name: forms.text(form, name, limit=10_000)
        for name in ("idempotency_key", "title", "kind", "synergi_ref", "decided_by", "nature")
    }
    values["communes"] = forms.choices(form, "communes")
    values["decided_at"] = forms.text(form, "decided_at", limit=40)
    values["activate"] = form.get("activate") == "oui"
    values["confirm_reel"] = form.get("confirm_reel") == "oui"
    return values
