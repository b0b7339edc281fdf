"""Public routes of the cell on call, reached without a token: the personal acknowledgement
links (`/ack/{token}`) and the Telegram webhook (`/telegram/webhook`)."""

from __future__ import annotations

import asyncio
import hmac
import html
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from crisis.api.auth import CurrentService
from crisis.api.errors import ErrorBody, error_response, responses
from crisis.domain.oncall import CELL_ROLE_LABELS, AcknowledgeByLink
from crisis.french import long_datetime
from crisis.services.ack_handlers import AckReport
from crisis.services.context import Actor
from crisis.services.oncall_links import LinkProblem, LinkRefused, check_link, hash_of
from crisis.store.callout_repository import Page

router = APIRouter(tags=["astreinte et CIP"])

LINK_ACTOR = Actor(name="lien d'accusé de réception", role="system")

# -- personal acknowledgement links ---------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 2em auto; padding: 0 1em">
<h1>{title}</h1>
{body}
</body></html>"""


def _html(status: int, title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=html.escape(title), body=body),
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _refusal(problem: LinkProblem, page: Page | None = None) -> HTMLResponse:
    used = (
        "Votre accusé de réception est déjà enregistré"
        + (
            f" (le {long_datetime(page.acknowledged_at)})"
            if page is not None and page.acknowledged_at is not None
            else ""
        )
        + " : ce lien ne sert qu'une fois et il n'y a rien d'autre à faire. Merci."
    )
    texts = {
        LinkProblem.FORGED: (
            404,
            "Lien invalide",
            "Ce lien d'accusé de réception n'est pas valide. Vérifiez que vous l'avez copié "
            "en entier, ou accusez réception par Telegram (/ack) ou auprès du cadre de "
            "permanence.",
        ),
        LinkProblem.EXPIRED: (
            410,
            "Lien expiré",
            "Ce lien d'accusé de réception a expiré. Accusez réception par Telegram (/ack) "
            "ou appelez le cadre de permanence.",
        ),
        LinkProblem.USED: (410, "Accusé de réception déjà enregistré", used),
        LinkProblem.CLOSED: (
            410,
            "Appel terminé",
            "Cet appel est terminé (quorum atteint, cellule opérationnelle ou événement clos) : "
            "il n'attend plus de réponse. En cas de doute, appelez le cadre de permanence.",
        ),
    }
    status, title, text = texts[problem]
    return _html(status, title, f"<p>{html.escape(text)}</p>")


_HTML_PAGES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"text/html": {}}}
    for status, description in (
        (200, "Page de confirmation."),
        (303, "Lien d'un valideur : vers le message, après connexion."),
        (404, "Lien invalide (page en français)."),
        (410, "Lien expiré, déjà utilisé ou appel terminé (page en français)."),
    )
}


@router.get(
    "/ack/{token}",
    response_class=HTMLResponse,
    responses=_HTML_PAGES,
    summary="Page de confirmation d'un lien d'accusé de réception (n'acquitte pas)",
)
def get_ack(token: str, service: CurrentService) -> Response:
    hashed = hash_of(token)
    with service.bus.reading() as uow:
        approval = None if hashed is None else uow.approvals.page_of_link(hashed, now=uow.now)
        if approval is not None:
            # An approver's link: it leads to the message, which asks for sign-in (and
            # step-up to approve); it grants nothing by itself. No token in the address.
            return RedirectResponse(
                f"/validation/appel/{approval.id}",
                status_code=303,
                headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
            )
        check = check_link(uow, hashed, service.clock.now())
        if check.problem is not None:
            return _refusal(check.problem, check.page)
        page = check.page
        assert page is not None
        member = uow.oncall.member(page.member_id)
        crisis = uow.crises.get(page.crisis_id)
    name = html.escape(member.name if member else "")
    body = (
        f"<p>Bonjour {name},</p>"
        f"<p>Vous êtes appelé(e) comme <strong>{html.escape(CELL_ROLE_LABELS[page.role])}"
        f"</strong> pour l'événement « {html.escape(crisis.title)} » "
        f"(appel du {html.escape(long_datetime(page.paged_at))}).</p>"
        f'<form method="post"><button type="submit" style="font-size: 1.5em">'
        f"J'arrive</button></form>"
    )
    return _html(200, "Appel d'astreinte", body)


@router.post(
    "/ack/{token}",
    response_class=HTMLResponse,
    responses=_HTML_PAGES,
    summary="Accuser réception par le lien personnel (une seule fois, avant expiration)",
)
def post_ack(token: str, service: CurrentService) -> HTMLResponse:
    hashed = hash_of(token)
    if hashed is None:
        return _refusal(LinkProblem.FORGED)
    try:
        report = service.bus.handle(AcknowledgeByLink(token_hash=hashed), actor=LINK_ACTOR)
    except LinkRefused as refused:
        with service.bus.reading() as uow:
            check = check_link(uow, hashed, service.clock.now())
        return _refusal(refused.problem, check.page)
    assert isinstance(report, AckReport)
    items = "".join(
        f"<li>{html.escape(a['role'])} – {html.escape(a['crisis'])}</li>"
        for a in report.acknowledged
    )
    body = (
        f"<p>Merci {html.escape(report.member_name)}, votre accusé de réception est "
        f"enregistré.</p><ul>{items}</ul>"
    )
    return _html(200, "Accusé de réception enregistré", body)


# -- the Telegram webhook -------------------------------------------------------------------


@router.post(
    "/telegram/webhook",
    summary="Mises à jour du bot Telegram (en-tête X-Telegram-Bot-Api-Secret-Token requis)",
    responses={
        **responses(401, 403, 404),
        400: {"model": ErrorBody, "description": "Corps illisible."},
        413: {"model": ErrorBody, "description": "Requête trop volumineuse."},
    },
)
async def telegram_webhook(
    request: Request,
    service: CurrentService,
    secret_token: Annotated[
        str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token", max_length=256)
    ] = None,
) -> JSONResponse:
    expected = service.settings.telegram_webhook_secret
    if expected is None:
        return error_response(404, "not_found", "Le bot Telegram n'est pas en mode webhook.")
    if secret_token is None:
        return error_response(401, "unauthenticated", "En-tête du secret Telegram absent.")
    if not hmac.compare_digest(secret_token.encode(), expected.get_secret_value().encode()):
        return error_response(403, "forbidden", "Secret Telegram invalide.")
    bot = telegram_bot_of(request)
    if bot is None:
        return error_response(404, "not_found", "Aucun bot Telegram n'est configuré.")
    try:
        data = await request.json()
    except ValueError:
        return error_response(400, "invalid_body", "Corps illisible : un objet JSON est attendu.")
    if not isinstance(data, dict):
        return error_response(400, "invalid_body", "Corps illisible : un objet JSON est attendu.")
    await asyncio.to_thread(bot.process, data)
    return JSONResponse({"ok": True})


def telegram_bot_of(request: Request) -> Any:
    """The service's bot, built on first use (no side effect when the app is created)."""
    from crisis.oncall.bot import bot_for

    state = request.app.state
    bot = getattr(state, "telegram_bot", None)
    if bot is None:
        bot = bot_for(state.service)
        state.telegram_bot = bot
    return bot
