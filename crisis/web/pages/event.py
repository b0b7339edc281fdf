"""La page d'un événement: clocks, alerts, callout, CIP, messages, main courante, actions."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from crisis.domain.commands import (
    DeclareCellOperational,
    RetryDelivery,
)
from crisis.domain.draft_commands import SendDraft, SubmitDraft
from crisis.domain.errors import NotFound
from crisis.domain.oncall import (
    CELL_ROLE_LABELS,
    AcknowledgePage,
    CellRole,
    DeclareCipOperational,
    StartCallout,
    Team,
)
from crisis.domain.vocabulary import CLOCK_LABELS, Audience, ClockName
from crisis.entity_tags import tag_matches
from crisis.labels import AUDIENCE_LABELS, DELIVERY_STATUS_LABELS
from crisis.reporting.render import ReportFormat, render
from crisis.reporting.service import crisis_report
from crisis.services.ack_rights import ON_BEHALF_ROLES, own_member
from crisis.services.approval_call_views import crisis_calls
from crisis.services.bus import ensure_may_run
from crisis.services.call_views import calls_view
from crisis.services.draft_views import draft_view
from crisis.services.message_views import message_board
from crisis.services.oncall_views import callouts_view
from crisis.web import forms
from crisis.web.change_marker import SERVICE_TIME_HEADER, EventMarkers
from crisis.web.commands import run
from crisis.web.pages.approvals import draft_preview
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import (
    SESSION_COOKIE,
    CurrentUser,
    NotSignedIn,
    PostedForm,
    SignedIn,
    service_of,
    session_in,
)
from crisis.web.views import (
    journal_page,
    live_summary,
    short_time,
    template_titles,
)

router = console_router()
# The fragment every open event page polls each second: tried first (`install_polls`).
polls = console_router()

DONE = {
    "ouvert": "Événement enregistré.",
    "cod": "Activation du COD enregistrée : les horloges tournent.",
    "cellule": "Cellule de communication déclarée opérationnelle.",
    "hors-service": "Diffusion hors service enregistrée.",
    "clos": "Événement clos.",
    "erreur": "Événement clos comme ouvert par erreur : il est exclu des indicateurs.",
    "cod-deja": "Le COD était déjà activé pour cet événement : rien n'a changé.",
    "accuse": "Accusé de réception enregistré.",
    "appel": "Appel de l'astreinte lancé.",
    "cip": "Ordre d'activation de la CIP enregistré.",
    "cip-operationnelle": "CIP déclarée opérationnelle : le numéro unique est publié.",
    "relance": "Diffusion relancée.",
    "correction": "Correction enregistrée au journal : les rapports et les indicateurs "
    "retiennent la valeur corrigée.",
    "soumis": "Message soumis à la validation du préfet.",
    "envoye": "Message mis en diffusion.",
}


# The deliveries the page lists one by one: those failed or waiting for a new attempt.
TROUBLED_SHOWN = 50


def _role_label(role: str) -> str:
    try:
        return CELL_ROLE_LABELS[CellRole(role)]
    except ValueError:
        return role


def back(crisis_id: str, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/evenements/{crisis_id}?fait={done}{anchor}", status_code=303)


def _event_data(
    request: Request, crisis_id: str, page_number: int, *, user_name: str, user_role: str
) -> dict[str, Any]:
    service = service_of(request)
    now = service.clock.now()
    with service.bus.reading() as uow:
        crisis = uow.crises.get(crisis_id)
        own = own_member(uow, user_name)
        summary = live_summary(uow, service.situations, crisis_id, now, last_alerts=50)
        callouts = callouts_view(uow, crisis_id)
        for callout in callouts:
            callout["quorum_labels"] = [_role_label(r) for r in callout["quorum"]]
            # Round 0 pages the roster; each later page round is one escalation (the duty
            # officer's alert, when nobody is left, is not).
            callout["escalations"] = sum(
                1 for r in callout["rounds"] if r["kind"] == "page" and r["round"] > 0
            )
            for paged in callout["pages"]:
                paged["role_label"] = _role_label(paged["role"])
                found = uow.oncall.page(paged["page_id"])
                message_id = found.message_id if found is not None else None
                rows = uow.outbox.deliveries_of(message_id=message_id) if message_id else []
                paged["channels"] = sorted({r.channel for r in rows})
                # What the operator said of the member's SMS, when it sends receipts.
                paged["handsets"] = sorted(
                    {r.handset_status for r in rows if r.channel == "sms" and r.handset_status}
                )
        calls = calls_view(uow, crisis_id)
        messages = list(reversed(uow.outbox.messages_of(crisis_id)))
        unfinished = uow.fanouts.unfinished_among([m.id for m in messages])
        boards = [
            message_board(
                m,
                uow.outbox.counts(message_id=m.id),
                uow.outbox.troubled(message_id=m.id, limit=TROUBLED_SHOWN),
                next_after=None,
                complete=m.id not in unfinished,
                handsets=uow.receipts.handset_figures(message_id=m.id),
            )
            for m in messages
        ]
        drafts = [draft_view(d) for d in reversed(uow.drafts.of_crisis(crisis_id))]
        approval_calls = crisis_calls(uow, service.settings, crisis_id)
        journal, pages = journal_page(uow, crisis_id, page_number)
        titles = template_titles(service.bus.templates, uow)
    return {
        "titles": titles,
        "crisis": summary,
        "closed": crisis.closed_at is not None,
        "callouts": callouts,
        "calls": calls,
        "boards": boards,
        "drafts": [d for d in drafts if d.state != "sent"],
        "drafts_by_id": {d.draft_id: d for d in drafts},
        "approval_calls": approval_calls,
        "journal": journal,
        "journal_page": min(max(1, page_number), pages),
        "journal_pages": pages,
        "audiences": [(a.value, AUDIENCE_LABELS[a.value]) for a in Audience],
        # The columns of each delivery board, in the order a delivery goes through them.
        "statuses": tuple(DELIVERY_STATUS_LABELS),
        "now": now,
        # What a correction may change: the met clocks, and the instant of any started one.
        "met_clocks": [
            {"name": c.name.value, "pair": (c.name.value, CLOCK_LABELS[c.name].capitalize())}
            for c in crisis.clocks.values()
            if c.met_at is not None
        ],
        "clock_choices": [
            (c.name.value, CLOCK_LABELS[c.name].capitalize()) for c in crisis.clocks.values()
        ],
        # Acknowledging: one's own pages; another member's, the duty officer « pour le compte
        # de » (crisis.services.ack_rights).
        "own_member_id": own.id if own is not None else None,
        "acknowledges_on_behalf": user_role in ON_BEHALF_ROLES,
        "refused": None,
    }


@router.get("/evenements/{crisis_id}")
def event_page(
    request: Request, crisis_id: str, session: CurrentUser, fait: str = "", page_journal: int = 1
) -> Response:
    data = _event_data(
        request, crisis_id, page_journal, user_name=session.user.name, user_role=session.user.role
    )
    data["done"] = DONE.get(fait, "")
    return page(request, "event.html.j2", data, session=session)


def refused_form_page(
    request: Request,
    crisis_id: str,
    session: SignedIn,
    *,
    form: str,
    errors: dict[str, str],
    values: dict[str, str],
) -> Response:
    """The event page again, the refused form open with every error beside its field and
    listed on top of the form; nothing was recorded."""
    data = _event_data(
        request, crisis_id, 1, user_name=session.user.name, user_role=session.user.role
    )
    data["done"] = ""
    data["refused"] = {"form": form, "errors": errors, "values": values}
    return page(request, "event.html.j2", data, session=session, status_code=422)


@polls.get("/evenements/{crisis_id}/horloges")
async def event_clocks(request: Request, crisis_id: str) -> Response:
    # A coroutine with one hop to the thread pool: a session dependency would add another.
    return await run_in_threadpool(_event_clocks, request, crisis_id)


def _event_clocks(request: Request, crisis_id: str) -> Response:
    """The session, the event's marker and, when it moved, the event: one read; 304 when the
    tag the page holds still holds (`crisis.web.change_marker`)."""
    service = service_of(request)
    markers: EventMarkers = request.app.state.event_markers
    known = markers.of(crisis_id)
    offered = request.headers.get("if-none-match")
    now = service.clock.now()
    with service.bus.reading() as uow:
        session = session_in(uow, request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise NotSignedIn()
        marker = uow.crises.event_marker(crisis_id)  # an unknown event: « introuvable »
        tag = known.tag(marker, now)
        summary = None
        if tag is None or not tag_matches(offered, tag):
            summary = live_summary(uow, service.situations, crisis_id, now, last_alerts=50)
    if summary is not None:
        tag = known.remember(marker, [summary], now)
    assert tag is not None
    headers = {
        "ETag": tag,
        "Cache-Control": "no-store",
        SERVICE_TIME_HEADER: now.isoformat(timespec="milliseconds"),
    }
    if summary is None or tag_matches(offered, tag):
        return Response(status_code=304, headers=headers)
    answer = page(request, "event_clocks.html.j2", {"crisis": summary}, session=session)
    answer.headers.update(headers)
    return answer


# The one-tap acts that meet a commitment: each asks for confirmation on a page of its own.
CONFIRMED_ACTS: dict[str, tuple[ClockName, str, str, str]] = {
    # path: (clock met, title, what confirming does, button)
    "cellule-operationnelle": (
        ClockName.CELL,
        "Déclarer la cellule de communication opérationnelle ?",
        "L'engagement 47 (cellule activée en moins d'une heure) sera noté tenu à l'instant "
        "de votre confirmation. Ne confirmez que si la cellule est réellement en place.",
        "Confirmer : la cellule est opérationnelle",
    ),
    "cip/operationnelle": (
        ClockName.CIP,
        "Déclarer la CIP opérationnelle ?",
        "L'engagement 50 sera noté tenu à l'instant de votre confirmation et le numéro "
        "unique sera publié. Ne confirmez que si les opérateurs de la CIP sont en place.",
        "Confirmer : la CIP est opérationnelle",
    ),
}


def _confirmation_page(request: Request, session: SignedIn, crisis_id: str, act: str) -> Response:
    clock_name, title, consequence, button = CONFIRMED_ACTS[act]
    service = service_of(request)
    now = service.clock.now()
    with service.bus.reading() as uow:
        crisis = uow.crises.get(crisis_id)
    clock = crisis.clocks.get(clock_name)
    facts = []
    if clock is not None:
        elapsed = int((now - clock.started_at).total_seconds() // 60)
        facts = [
            f"Horloge « {CLOCK_LABELS[clock_name]} » lancée à {short_time(clock.started_at)}, "
            f"il y a {elapsed} min ; échéance à {short_time(clock.deadline)}.",
            "Une erreur se corrige ensuite, avec un motif, depuis la page de l'événement.",
        ]
    return page(
        request,
        "confirm.html.j2",
        {
            "title": title,
            "consequence": consequence,
            "facts": facts,
            "action": f"/evenements/{crisis_id}/{act}",
            "confirm_label": button,
            "note_label": "Remarque" if act == "cellule-operationnelle" else "",
            "back": f"/evenements/{crisis_id}",
            "crisis_title": crisis.title,
        },
        session=session,
    )


def _confirmed(form: FormData, crisis_id: str, act: str) -> RedirectResponse | None:
    """None when the form says confirmed; else the way to the confirmation page."""
    if form.get("confirme") == "oui":
        return None
    return RedirectResponse(f"/evenements/{crisis_id}/{act}", status_code=303)


@router.get("/evenements/{crisis_id}/cellule-operationnelle")
def cell_operational_confirmation(
    request: Request, crisis_id: str, session: CurrentUser
) -> Response:
    ensure_may_run(session.actor, DeclareCellOperational)
    return _confirmation_page(request, session, crisis_id, "cellule-operationnelle")


@router.post("/evenements/{crisis_id}/cellule-operationnelle")
def cell_operational(
    request: Request, crisis_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    unconfirmed = _confirmed(form, crisis_id, "cellule-operationnelle")
    if unconfirmed is not None:
        return unconfirmed
    command = DeclareCellOperational(crisis_id=crisis_id, note=forms.text(form, "note"))
    run(request, session, form, command)
    return back(crisis_id, "cellule")


@router.post("/evenements/{crisis_id}/appel")
def start_callout(
    request: Request, crisis_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    team = Team.CIP if form.get("team") == "cip" else Team.CELL
    run(request, session, form, StartCallout(crisis_id=crisis_id, team=team))
    return back(crisis_id, "appel", "#astreinte")


@router.post("/evenements/{crisis_id}/accuses")
def acknowledge(
    request: Request, crisis_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    command = AcknowledgePage(
        via="console", member_id=forms.text(form, "member_id", limit=64), crisis_id=crisis_id
    )
    run(request, session, form, command)
    return back(crisis_id, "accuse", "#astreinte")


@router.get("/evenements/{crisis_id}/cip/operationnelle")
def cip_operational_confirmation(
    request: Request, crisis_id: str, session: CurrentUser
) -> Response:
    ensure_may_run(session.actor, DeclareCipOperational)
    return _confirmation_page(request, session, crisis_id, "cip/operationnelle")


@router.post("/evenements/{crisis_id}/cip/operationnelle")
def cip_operational(
    request: Request, crisis_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    unconfirmed = _confirmed(form, crisis_id, "cip/operationnelle")
    if unconfirmed is not None:
        return unconfirmed
    run(request, session, form, DeclareCipOperational(crisis_id=crisis_id))
    return back(crisis_id, "cip-operationnelle", "#cip")


@router.post("/evenements/{crisis_id}/diffusions/{delivery_id}/relance")
def retry(
    request: Request, crisis_id: str, delivery_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    with service_of(request).bus.reading() as uow:
        row = uow.outbox.delivery(delivery_id)
    if row is None or row.crisis_id != crisis_id:
        raise NotFound(f"Aucune diffusion ne porte l'identifiant « {delivery_id} ».")
    run(request, session, form, RetryDelivery(delivery_id=delivery_id))
    return back(crisis_id, "relance", "#messages")


@router.post("/evenements/{crisis_id}/brouillons/{draft_id}/soumettre")
def submit_draft(
    request: Request, crisis_id: str, draft_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    run(request, session, form, SubmitDraft(crisis_id=crisis_id, draft_id=draft_id))
    return back(crisis_id, "soumis", "#messages")


@router.get("/evenements/{crisis_id}/brouillons/{draft_id}/envoyer")
def send_confirmation(
    request: Request, crisis_id: str, draft_id: str, session: CurrentUser
) -> Response:
    """What « Envoyer » will send, channel by channel, before it is confirmed."""
    ensure_may_run(session.actor, SendDraft)
    service = service_of(request)
    with service.bus.reading() as uow:
        crisis = uow.crises.get(crisis_id)
        draft = uow.drafts.get(draft_id)
        if draft.crisis_id != crisis_id:
            raise NotFound(f"Aucun message ne porte l'identifiant « {draft_id} ».")
        preview = draft_preview(uow, service, draft, crisis)
        titles = template_titles(service.bus.templates, uow)
    context = {"crisis": crisis, "draft": draft_view(draft), "preview": preview, "titles": titles}
    return page(request, "send_confirm.html.j2", context, session=session)


@router.post("/evenements/{crisis_id}/brouillons/{draft_id}/envoyer")
def send_draft(
    request: Request, crisis_id: str, draft_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    unconfirmed = _confirmed(form, crisis_id, f"brouillons/{draft_id}/envoyer")
    if unconfirmed is not None:
        return unconfirmed
    run(request, session, form, SendDraft(crisis_id=crisis_id, draft_id=draft_id))
    return back(crisis_id, "envoye", "#messages")


@router.get("/evenements/{crisis_id}/rapport.{extension}")
def timing_report(
    request: Request, crisis_id: str, extension: str, session: CurrentUser
) -> Response:
    formats = {"html": ReportFormat.HTML, "pdf": ReportFormat.PDF}
    if extension not in formats:
        raise NotFound("Le rapport existe en HTML et en PDF.")
    service = service_of(request)
    with service.bus.reading() as uow:
        timing = crisis_report(uow, crisis_id, now=service.clock.now())
    fmt = formats[extension]
    if fmt is ReportFormat.PDF:
        return Response(
            render(timing, fmt),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="rapport-{crisis_id}.pdf"'},
        )
    # The report is a standalone document with its own inline styles, and no script.
    return Response(
        render(timing, fmt),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:; frame-ancestors 'none'"
        },
    )
