"""Mounting the console on the application: pages, static files, headers, sign-in redirects."""

from __future__ import annotations

import inspect
from importlib.resources import files
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from crisis.web.change_marker import ChangeMarker, EventMarkers
from crisis.web.pages import (
    administration,
    annuaire,
    annuaire_listes,
    approvals,
    astreinte,
    compose,
    dashboard,
    demo_outbox,
    event,
    event_forms,
    exercices,
    free_text,
    indicateurs,
    modeles,
    modeles_edition,
    open_event,
    passkey_signin,
    passkeys,
    proconnect,
    rapports,
    replay,
    signin,
    step_up,
)
from crisis.web.pages.step_up import StepUpRequired
from crisis.web.routing import error_page
from crisis.web.security import mark_console
from crisis.web.sessions import CsrfRefused, NotSignedIn

# Part 2 of the console: between crises.
PREPARING_AND_REVIEWING = (
    annuaire,
    annuaire_listes,
    modeles_edition,  # before `modeles`: /modeles/nouveau-modele, not a template's page
    modeles,
    rapports,
    indicateurs,
    astreinte,
    exercices,
    administration,
)


_PAGES = {
    404: (
        "Page introuvable",
        "Cette adresse ne correspond à aucune page de la console : elle a pu être mal "
        "recopiée, ou la page a changé de place.",
    ),
    405: (
        "Action impossible à cette adresse",
        "Cette adresse ne permet pas cette action (un formulaire envoyé deux fois, ou un "
        "lien ouvert au lieu d'un bouton) : rien n'a été fait.",
    ),
}


def _from_a_browser(request: Request) -> bool:
    """A navigation of a person (HTML asked), not a call of the API."""
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/readyz", "/metrics"):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_polls(app: FastAPI) -> None:
    """The fragments every open console polls each second, before any other route: the
    router tries its routes in order, and trying the hundred of the API first cost more
    than answering an unchanged poll."""
    for module in (dashboard, event):
        app.include_router(module.polls)


def install_console(app: FastAPI, *, demonstration: bool = False) -> None:
    app.state.dashboard_marker = ChangeMarker()
    app.state.event_markers = EventMarkers()
    static = files("crisis.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (
        signin,
        proconnect,
        passkey_signin,
        passkeys,
        step_up,
        dashboard,
        open_event,
        event,
        event_forms,
        replay,
        compose,
        free_text,
        approvals,
    ):
        app.include_router(module.router)
    for module in PREPARING_AND_REVIEWING:
        app.include_router(module.router)
    if demonstration:  # the page exists on a demonstration database only
        app.include_router(demo_outbox.router)

    @app.exception_handler(NotSignedIn)
    async def _sign_in_first(request: Request, _: NotSignedIn) -> Response:
        mark_console(request)
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.headers.get("HX-Request"):
            # An htmx poll after the session ended: the whole page goes to the sign-in form.
            return Response(status_code=401, headers={"HX-Redirect": "/connexion"})
        return RedirectResponse(f"/connexion?suite={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StepUpRequired)
    async def _verify_first(request: Request, required: StepUpRequired) -> Response:
        mark_console(request)
        query = urlencode({"action": required.action, "suite": required.back})
        return RedirectResponse(f"/verification?{query}", status_code=303)

    api_answer = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(StarletteHTTPException)
    async def _unknown_address(request: Request, error: Exception) -> Response:
        """A person's browser gets a French page in the console's layout with a way back; a
        program (the API, a check) keeps the API's JSON answer."""
        assert isinstance(error, StarletteHTTPException)
        answer = api_answer(request, error)
        api = await answer if inspect.isawaitable(answer) else answer
        if not _from_a_browser(request) or error.status_code not in _PAGES:
            return api
        mark_console(request)
        title, message = _PAGES[error.status_code]
        response = error_page(request, error.status_code, title, message)
        if "allow" in api.headers:  # the API's answer names the methods of the address
            response.headers["Allow"] = api.headers["allow"]
        return response

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _: CsrfRefused) -> Response:
        mark_console(request)
        return error_page(
            request,
            403,
            "Formulaire refusé",
            "Ce formulaire a expiré ou ne vient pas de la console (jeton de sécurité absent ou "
            "invalide) : rien n'a été fait. Rechargez la page et recommencez.",
        )
