"""Ouvrir un événement et activer le COD: one form, errors beside their field, no double."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.duplicates import LikelyDuplicate, rule_sentence
from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import CRISIS_KIND_LABELS, CrisisKind
from crisis.web import forms
from crisis.web.commands import allowed_to, run
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of

router = console_router()

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


def _command(form: FormData, known_communes: list[str]) -> OpenCrisis:
    nature = forms.text(form, "nature", limit=10)
    if nature not in ("exercice", "reel"):
        raise InvalidInput("nature", "Choisissez : exercice ou événement réel.")
    if nature == "reel" and form.get("confirm_reel") != "oui":
        raise InvalidInput(
            "confirm_reel",
            "Confirmez qu'il s'agit d'un événement réel : les messages partiront sans la "
            "mention EXERCICE, vers les vrais destinataires.",
        )
    try:
        kind = CrisisKind(forms.text(form, "kind", limit=40))
    except ValueError:
        raise InvalidInput("kind", "Choisissez la nature de l'événement dans la liste.") from None
    communes = forms.choices(form, "communes")
    unknown = [c for c in communes if known_communes and c not in known_communes]
    if unknown:
        raise InvalidInput("communes", f"Commune inconnue du département : {unknown[0]}.")
    activation = None
    if form.get("activate") == "oui":
        activation = CodDecision(
            decided_by=forms.text(form, "decided_by", limit=120),
            synergi_ref=forms.text(form, "synergi_ref", limit=120) or None,
            decided_at=forms.paris_instant(form, "decided_at"),
        )
    return OpenCrisis(
        title=forms.text(form, "title", limit=200),
        kind=kind,
        exercise=nature == "exercice",
        communes=tuple(communes),
        activation=activation,
        # Posted once the person has seen the likely duplicate and said it is another event.
        check_duplicates=form.get("distinct") != "oui",
    )


@router.post("/evenements", dependencies=[allowed_to(OpenCrisis)])
def open_event(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    settings = service_of(request).settings
    try:
        crisis_id = run(request, session, form, _command(form, settings.communes))
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
