"""Un message en texte libre: measured per channel as it is typed, then sent, or held for the
préfet's approval when an audience needs it (the rule of `SendMessage`)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from channels.measure import measure
from crisis.domain.commands import SendMessage
from crisis.domain.errors import InvalidInput
from crisis.domain.messages import MessageTexts
from crisis.domain.vocabulary import Audience
from crisis.labels import AUDIENCE_LABELS
from crisis.services.message_handlers import PendingApproval
from crisis.store.unit_of_work import UnitOfWork
from crisis.templating.limits import Variant, default_variant_limits
from crisis.web import forms
from crisis.web.commands import run
from crisis.web.field_errors import field_errors
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of
from crisis.web.views import live_summary

router = console_router()


@router.get("/evenements/{crisis_id}/messages/texte-libre")
def free_text_form(request: Request, crisis_id: str, session: CurrentUser) -> Response:
    return _free_text_page(request, session, crisis_id, None)


def _free_text_page(
    request: Request,
    session: SignedIn,
    crisis_id: str,
    form: FormData | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)  # an unknown event: « introuvable »
        now = service.clock.now()
        summary = live_summary(uow, service.situations, crisis_id, now, last_alerts=0)
        lists = [(c.name, c.name) for c in uow.contacts.lists()]
    context = {
        "crisis": summary,
        "lists": lists,
        "audience_options": [(a.value, AUDIENCE_LABELS[a.value]) for a in Audience],
        "errors": errors or {},
        "values": {
            "default": forms.text(form, "default", limit=10_000) if form else "",
            "sms": forms.text(form, "sms", limit=10_000) if form else "",
            "audiences": forms.choices(form, "audiences") if form else [],
            "lists": forms.choices(form, "lists") if form else [],
        },
        "idempotency_key": forms.text(form, "idempotency_key", limit=100)
        if form
        else str(uuid.uuid4()),
        "variants": _free_text_variants(
            form, exercise=summary.exercise, marker=service.settings.exercise_marker
        )
        if form
        else [],
        "preview_errors": {},
        "oob": False,
    }
    return page(request, "free_text.html.j2", context, session=session, status_code=status)


# The channels whose length matters, for the free-text preview (the others take any length).
MEASURED_VARIANTS = (Variant.SMS, Variant.X, Variant.TELEGRAM)


def _free_text_variants(form: FormData, *, exercise: bool, marker: str) -> list[dict[str, Any]]:
    """Each measured variant of a free text, marked for an exercise, as the preview shows it."""
    written = {"default": forms.text(form, "default", limit=20_000)}
    if forms.text(form, "sms", limit=20_000):
        written["sms"] = forms.text(form, "sms", limit=20_000)
    try:
        texts = MessageTexts.parse(written)
    except InvalidInput:
        return []
    if exercise:
        texts = texts.marked(marker)
    limits = default_variant_limits()
    shown: list[dict[str, Any]] = []
    for variant in MEASURED_VARIANTS:
        text = texts.get(variant.value)
        size = measure(text, limits[variant])
        shown.append(
            {
                "channel": variant.value,
                "text": text,
                "length": size.length,
                "limit": size.limit,
                "fits": size.fits,
                "unit": size.unit.value,
                "segments": size.sms.segments if size.sms else None,
                "encoding": size.sms.encoding.value if size.sms else None,
                "units": size.sms.units if size.sms else None,
            }
        )
    return shown


@router.post("/evenements/{crisis_id}/messages/texte-libre/apercu")
def free_text_preview(
    request: Request, crisis_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        exercise = uow.crises.get(crisis_id).exercise
    variants = _free_text_variants(form, exercise=exercise, marker=service.settings.exercise_marker)
    return page(
        request,
        "compose_preview.html.j2",
        {"variants": variants, "preview_errors": {}, "oob": False},
        session=session,
    )


@router.post("/evenements/{crisis_id}/messages/texte-libre")
def free_text(request: Request, crisis_id: str, session: CurrentUser, form: PostedForm) -> Response:
    if form.get("action") == "apercu":  # without JavaScript: « Actualiser l'aperçu »
        return _free_text_page(request, session, crisis_id, form)
    texts = {"default": forms.text(form, "default", limit=10_000)}
    if forms.text(form, "sms", limit=10_000):
        texts["sms"] = forms.text(form, "sms", limit=10_000)
    try:
        command = SendMessage(
            crisis_id=crisis_id,
            texts=tuple(sorted(texts.items())),
            audiences=forms.audiences(form),
            lists=tuple(forms.choices(form, "lists")),
        )

        def present(_: UnitOfWork, sent: Any) -> tuple[int, Any]:
            return (202, "soumis") if isinstance(sent, PendingApproval) else (201, "envoye")

        done = run(request, session, form, command, present)
    except InvalidInput as error:
        errors = {k.removeprefix("texts."): v for k, v in field_errors(error).items()}
        return _free_text_page(request, session, crisis_id, form, errors, 422)
    return RedirectResponse(f"/evenements/{crisis_id}?fait={done}#messages", status_code=303)
