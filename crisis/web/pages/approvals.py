"""La file de validation du préfet (`/validation`), made for a phone first.

Each submitted message with every variant as it will go out, its author and audiences;
approve (and send), or reject with a reason. The four-eyes rule is the domain's
(`Draft.may_be_decided_by`): the page only says beforehand what the command would refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from crisis.bootstrap import Service
from crisis.domain.approval_calls import AcknowledgeApprovalPage, audience_deadline
from crisis.domain.crisis import Crisis
from crisis.domain.draft_commands import ApproveDraft, RejectDraft, SendDraft
from crisis.domain.drafts import Draft
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.labels import AUDIENCE_LABELS
from crisis.services import step_up
from crisis.services.approval_call_views import call_view
from crisis.services.draft_views import draft_view
from crisis.services.send_preview import SendPreview, send_preview
from crisis.store.unit_of_work import UnitOfWork
from crisis.web import forms
from crisis.web.commands import run
from crisis.web.pages.step_up import require_fresh_verification
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of
from crisis.web.views import short_time, submitted_drafts, template_titles

router = console_router()


def draft_preview(uow: UnitOfWork, service: Service, draft: Draft, crisis: Crisis) -> SendPreview:
    """What the draft would send now (crisis.services.send_preview)."""
    return send_preview(
        uow,
        catalog=service.catalog,
        settings=service.settings,
        crisis=crisis,
        texts=draft.texts,
        audiences=draft.audiences,
        lists=draft.lists,
        channels=draft.channels,
    )


def error_status(error: InvalidInput | Conflict) -> int:
    return 422 if isinstance(error, InvalidInput) else 409


DONE = {
    "valide": "Message validé et mis en diffusion.",
    "refuse": "Message refusé : son auteur voit le motif et peut le corriger.",
}


def _queue_page(
    request: Request,
    session: SignedIn,
    *,
    done: str = "",
    warning: str = "",
    errors: dict[str, str] | None = None,
    reasons: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "approvals.html.j2",
        {
            **_queue(request, session),
            "called": None,
            "done": DONE.get(done, ""),
            "warning": warning,
            "errors": errors or {},
            "reasons": reasons or {},
        },
        session=session,
        status_code=status,
    )


def _time_left(deadline: datetime | None, now: datetime) -> str:
    if deadline is None:
        return ""
    minutes = int((deadline - now).total_seconds() // 60)
    if minutes < 0:
        return f"échéance dépassée depuis {-minutes} min ({short_time(deadline)})"
    return f"reste {minutes} min avant l'échéance de {short_time(deadline)}"


def _queue(request: Request, session: SignedIn, only: str | None = None) -> dict[str, Any]:
    """The messages waiting, real ones first, the nearest deadline first, with time left
    (`only`: that message alone, the page an approver's link opens)."""
    service = service_of(request)
    now = service.clock.now()
    items: list[dict[str, Any]] = []
    with service.bus.reading() as uow:
        for draft in submitted_drafts(uow):
            if only is not None and draft.id != only:
                continue
            crisis = uow.crises.get(draft.crisis_id)
            deadline = audience_deadline(crisis, draft.audiences)
            items.append(
                {
                    "draft": draft_view(draft),
                    "crisis_title": crisis.title,
                    "exercise": crisis.exercise,
                    "own": not draft.may_be_decided_by(session.user.name),
                    "audiences": [AUDIENCE_LABELS.get(a.value, a.value) for a in draft.audiences],
                    "preview": draft_preview(uow, service, draft, crisis),
                    "deadline": deadline,
                    "time_left": _time_left(deadline, now),
                    "late": deadline is not None and deadline <= now,
                    "order": (crisis.exercise, deadline or datetime.max.replace(tzinfo=UTC)),
                }
            )
        titles = template_titles(service.bus.templates, uow)
    items.sort(key=lambda item: item["order"])  # stable: the oldest submission first
    return {"items": items, "titles": titles, "only": only}


@router.get("/validation")
def queue(request: Request, session: CurrentUser, fait: str = "") -> Response:
    return _queue_page(request, session, done=fait)


@router.get("/validation/file")
def queue_fragment(request: Request, session: CurrentUser, message: str = "") -> Response:
    """The queue alone, polled by the page: a message submitted meanwhile shows by itself."""
    context = {**_queue(request, session, message or None), "errors": {}, "reasons": {}}
    return page(request, "approvals_items.html.j2", context, session=session)


@router.post("/validation/{crisis_id}/{draft_id}/valider")
def approve(
    request: Request, crisis_id: str, draft_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    require_fresh_verification(request, session, step_up.APPROVE_MESSAGE, "/validation")
    run(request, session, form, ApproveDraft(crisis_id=crisis_id, draft_id=draft_id))
    try:
        run(request, session, form, SendDraft(crisis_id=crisis_id, draft_id=draft_id))
    except (InvalidInput, Conflict) as error:
        # The approval stands; the sending can be done again from the event's page.
        return _queue_page(
            request,
            session,
            warning=f"Message validé, mais il n'est pas parti : {error.message} Il pourra être "
            "envoyé depuis la page de l'événement.",
            status=error_status(error),
        )
    return RedirectResponse("/validation?fait=valide", status_code=303)


@router.post("/validation/{crisis_id}/{draft_id}/refuser")
def reject(
    request: Request, crisis_id: str, draft_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    reason = forms.text(form, "reason", limit=5000)
    try:
        run(
            request,
            session,
            form,
            RejectDraft(crisis_id=crisis_id, draft_id=draft_id, reason=reason),
        )
    except InvalidInput as error:
        return _queue_page(
            request,
            session,
            errors={draft_id: error.message},
            reasons={draft_id: reason},
            status=422,
        )
    return RedirectResponse("/validation?fait=refuse", status_code=303)


# -- the page an approver's link opens (crisis.services.approval_calls) ----------------------


def _called_page(request: Request, session: SignedIn, page_id: str, *, done: str = "") -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        called = uow.approvals.page(page_id)
        if called is None:
            raise NotFound("Cet appel de valideur n'existe pas (ou plus).")
        call = uow.approvals.call(called.call_id)
        assert call is not None
        view = call_view(uow, service.settings, call)
        draft = uow.drafts.get(call.draft_id, crisis_id=call.crisis_id)
    context = {
        **_queue(request, session, draft.id),
        "done": done,
        "warning": "",
        "errors": {},
        "reasons": {},
        "called": {
            "page_id": called.id,
            "approver": called.user_name,
            "paged_at": called.paged_at,
            "own": called.user_id == session.user.id,
            "acknowledged_at": called.acknowledged_at,
            "running": view.running,
            "status": view.status,
            "next_approver": view.next_approver,
            "next_due_at": view.next_due_at,
            "taken_by": "vous" if view.taken_by == session.user.name else view.taken_by,
            "taken_at": view.taken_at,
            "decided": draft.state.value != "submitted",
            "state_label": draft_view(draft).state_label,
            "decided_by": draft.decided_by,
        },
    }
    return page(request, "approvals.html.j2", context, session=session)


@router.get("/validation/appel/{page_id}")
def called(request: Request, page_id: str, session: CurrentUser, fait: str = "") -> Response:
    """Where an approver's link leads, after sign-in: the message, and who was called."""
    done = "Prise en charge enregistrée : les appels sont suspendus, le temps de décider."
    done = done if fait else ""
    return _called_page(request, session, page_id, done=done)


@router.post("/validation/appel/{page_id}/prise-en-charge")
def take_on(request: Request, page_id: str, session: CurrentUser, form: PostedForm) -> Response:
    """« Je m'en occupe »: the calls wait (until the escalation's delay runs out); the decision
    is still to take."""
    run(request, session, form, AcknowledgeApprovalPage(page_id=page_id, via="console_membre"))
    return RedirectResponse(f"/validation/appel/{page_id}?fait=1", status_code=303)
