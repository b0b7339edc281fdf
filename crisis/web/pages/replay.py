"""La relecture d'un événement (`/evenements/{id}/rejouer`): the event as the cell saw it at an
instant, rebuilt from its journal alone; its annotations for the RETEX; its export.

Read-only for every role: the only write is an annotation, journalled (`AnnotateInstant`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from crisis.domain.annotations import AnnotateInstant
from crisis.domain.errors import InvalidInput
from crisis.web import forms
from crisis.web.commands import allowed_to, run
from crisis.web.rendering import environment, page
from crisis.web.replay_export import export_document
from crisis.web.replay_views import Frame, frame, paris_link, parse_instant, state_context
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, service_of

router = console_router()


def _frame(request: Request, crisis_id: str, a: str, s: str, entree: str) -> Frame:
    service = service_of(request)
    now = service.clock.now()
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)  # an unknown event: « introuvable »
        if entree.strip():
            try:
                number = int(entree)
            except ValueError:
                raise InvalidInput("entree", "Numéro d'entrée invalide.") from None
            return frame(uow.journal, service.situations, crisis_id, now=now, entry=number)
        at: datetime | None = parse_instant(a) if a.strip() else None
        if at is None and s.strip():
            first = frame(uow.journal, service.situations, crisis_id, now=now)
            try:
                seconds = int(s)
            except ValueError:
                raise InvalidInput("s", "Position du curseur invalide.") from None
            at = first.start + timedelta(seconds=max(0, seconds))
        return frame(uow.journal, service.situations, crisis_id, now=now, at=at)


@router.get("/evenements/{crisis_id}/rejouer")
def replay_page(
    request: Request,
    crisis_id: str,
    session: CurrentUser,
    a: str = "",
    s: str = "",
    entree: str = "",
    fait: str = "",
) -> Response:
    error = ""
    try:
        fr = _frame(request, crisis_id, a, s, entree)
    except InvalidInput as problem:
        error = problem.message
        fr = _frame(request, crisis_id, "", "", "")
    context = {
        "frame": fr,
        **state_context(fr),
        "error": error,
        "done": "Annotation enregistrée au journal." if fait == "annotation" else "",
        # A double submit of the annotation form records it once.
        "idempotency_key": str(uuid.uuid4()),
    }
    return page(request, "replay.html.j2", context, session=session)


@router.get("/evenements/{crisis_id}/rejouer/etat")
def replay_fragment(
    request: Request, crisis_id: str, session: CurrentUser, a: str = ""
) -> Response:
    """The state, the entries around and the annotations at `a`: what the slider swaps in."""
    fr = _frame(request, crisis_id, a, "", "")
    env = environment()
    context = {**state_context(fr), "frame": fr}
    parts = {
        "etat": env.get_template("replay_state.html.j2").render(context),
        "entrees": env.get_template("replay_entries.html.j2").render(context),
        "annotations": env.get_template("replay_annotations.html.j2").render(context),
    }
    body = "".join(f'<template data-part="{k}">{v}</template>' for k, v in parts.items())
    return Response(
        body,
        media_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "X-Relecture-Instant": fr.at.isoformat(),
            "X-Relecture-Lien": paris_link(fr.at),
            "X-Relecture-Entree": str(fr.seen),
            "X-Relecture-Minute-Precedente": paris_link(fr.previous_minute),
            "X-Relecture-Minute-Suivante": paris_link(fr.next_minute),
        },
    )


@router.post(
    "/evenements/{crisis_id}/rejouer/annotations", dependencies=[allowed_to(AnnotateInstant)]
)
def annotate(request: Request, crisis_id: str, session: CurrentUser, form: PostedForm) -> Response:
    raw = forms.text(form, "at", limit=60)
    try:
        at = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise InvalidInput("at", "Instant à annoter invalide.")
    command = AnnotateInstant(
        crisis_id=crisis_id,
        at=at,
        text=forms.text(form, "text", limit=4000),
        action_id=forms.text(form, "action_id", limit=64) or None,
    )
    run(request, session, form, command)
    return RedirectResponse(
        f"/evenements/{crisis_id}/rejouer?a={paris_link(at)}&fait=annotation#annotations",
        status_code=303,
    )


@router.get("/evenements/{crisis_id}/rejouer/export.html")
def export(request: Request, crisis_id: str, session: CurrentUser) -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        document = export_document(
            uow.journal, service.situations, crisis_id, now=service.clock.now()
        )
    return Response(
        document,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="relecture-{crisis_id}.html"',
            "Cache-Control": "no-store",
        },
    )
