"""Mounting the console on the application: pages, static files, headers, sign-in redirects."""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

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
    signin,
    step_up,
)
from crisis.web.pages.step_up import StepUpRequired
from crisis.web.routing import error_page
from crisis.web.security import install_security_headers, mark_console
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


def install_console(app: FastAPI, *, demonstration: bool = False) -> None:
    install_security_headers(app)
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
