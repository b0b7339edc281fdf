"""Public routes of the cell on call, reached without a token: the signed acknowledgement
links (`/ack/{token}`) and the Telegram webhook (`/telegram/webhook`)."""

from __future__ import annotations

import asyncio
import hmac
import html
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse

from crisis.api.auth import CurrentService
from crisis.api.errors import ErrorBody, error_response, responses
from crisis.bootstrap import Service
from crisis.domain.errors import Conflict
from crisis.domain.oncall import (
    CELL_ROLE_LABELS,
    AcknowledgePage,
)
from crisis.french import long_datetime
from crisis.services.callout_handlers import AckReport
from crisis.services.context import Actor
from crisis.services.oncall_links import LinkProblem, check_token

router = APIRouter(tags=["astreinte et CIP"])

LINK_ACTOR = Actor(name="lien d'accusé de réception", role="system")

# -- signed acknowledgement links -----------------------------------------------------------

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


def _refusal(problem: str) -> HTMLResponse:
    texts = {
        "forged": (
            404,
            "Lien invalide",
            "Ce lien d'accusé de réception n'est pas valide. Vérifiez que vous l'avez copié "
            "en entier, ou accusez réception par Telegram (/ack) ou auprès du cadre de "
            "permanence.",
        ),
        "expired": (
            410,
            "Lien expiré",
            "Ce lien d'accusé de réception a expiré. Accusez réception par Telegram (/ack) "
            "ou appelez le cadre de permanence.",
        ),
        "used": (
            410,
            "Lien déjà utilisé",
            "Cet appel a déjà été acquitté : ce lien ne sert qu'une fois. Rien de plus n'est "
            "nécessaire.",
        ),
        "closed": (
            410,
            "Appel terminé",
            "Cet appel n'attend plus de réponse.",
        ),
    }
    status, title, text = texts[problem]
    return _html(status, title, f"<p>{html.escape(text)}</p>")


# A real token is about a hundred ASCII characters; anything else is refused before any check.
MAX_TOKEN_LENGTH = 512
_HTML_PAGES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"text/html": {}}}
    for status, description in (
        (200, "Page de confirmation."),
        (404, "Lien invalide (page en français)."),
        (410, "Lien expiré ou déjà utilisé (page en français)."),
    )
}


def _check_link(service: Service, token: str) -> tuple[str | None, HTMLResponse | None]:
    secret = service.settings.ack_secret
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
        return None, _refusal("forged")
    if secret is None:
        return None, _refusal("forged")
    check = check_token(token, secret=secret.get_secret_value(), now=service.clock.now())
    if check.problem is LinkProblem.FORGED:
        return None, _refusal("forged")
    if check.problem is LinkProblem.EXPIRED:
        return None, _refusal("expired")
    assert check.page_id is not None
    with service.bus.reading() as uow:
        page = uow.oncall.page(check.page_id)
    if page is None:
        return None, _refusal("forged")
    if page.acknowledged_at is not None:
        return None, _refusal("used")
    return page.id, None


@router.get(
    "/ack/{token}",
    response_class=HTMLResponse,
    responses=_HTML_PAGES,
    summary="Page de confirmation d'un lien d'accusé de réception (n'acquitte pas)",
)
def get_ack(token: str, service: CurrentService) -> HTMLResponse:
    page_id, refusal = _check_link(service, token)
    if refusal is not None:
        return refusal
    assert page_id is not None
    with service.bus.reading() as uow:
        page = uow.oncall.page(page_id)
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
    summary="Accuser réception par le lien signé (une seule fois, avant expiration)",
)
def post_ack(token: str, service: CurrentService) -> HTMLResponse:
    page_id, refusal = _check_link(service, token)
    if refusal is not None:
        return refusal
    try:
        report = service.bus.handle(AcknowledgePage(via="link", page_id=page_id), actor=LINK_ACTOR)
    except Conflict:
        return _refusal("used")
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
