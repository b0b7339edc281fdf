"""Signing in and out: `GET /connexion`, `POST /connexion`, `POST /deconnexion`."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from crisis.services import accounts
from crisis.settings import Settings
from crisis.store.unit_of_work import UnitOfWork
from crisis.store.users_repository import User
from crisis.web.federation import provider_logout_url
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    CsrfRefused,
    CurrentUser,
    PostedForm,
    clear_session_cookie,
    remember_signin_token,
    service_of,
    set_session_cookie,
    signin_token,
    tokens_match,
)
from crisis.web.views import submitted_drafts

router = console_router()


def safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def signin_page(
    request: Request,
    *,
    username: str = "",
    error: str = "",
    next_path: str = "/",
    status: int,
    done: str = "",
    federation_down: bool = False,
) -> Response:
    token = signin_token(request)
    settings = service_of(request).settings
    response = page(
        request,
        "signin.html.j2",
        {
            "username": username,
            "error": error,
            "next_path": next_path,
            "signin_token": token,
            "done": done,
            "proconnect": settings.oidc_configured,
            "federation_down": federation_down,
            "password_for_break_glass_only": settings.password_signin_break_glass_only,
        },
        session=None,
        status_code=status,
    )
    remember_signin_token(response, request, token)
    return response


@router.get("/connexion")
def signin_form(request: Request, suite: str | None = None, fait: str = "") -> Response:
    # Shown even to someone signed in (to change user): signing in ends the former session.
    return signin_page(request, next_path=safe_next(suite), status=200, done=fait)


@router.post("/connexion")
async def signin(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    suite: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not tokens_match(request.cookies.get(SIGNIN_COOKIE, ""), csrf_token):
        raise CsrfRefused()
    service = service_of(request)
    settings = service.settings
    previous_session = request.cookies.get(SESSION_COOKIE)
    # The peer's address; behind the préfecture's proxy, the one it forwards (uvicorn's
    # proxy headers, trusted for CRISIS_FORWARDED_ALLOW_IPS only).
    address = request.client.host if request.client is not None else "inconnue"

    def attempt() -> tuple[accounts.SignInOutcome, str | None, bool]:
        with service.bus.unit_of_work() as uow:
            outcome = accounts.sign_in(
                uow, settings, name=username, password=password, address=address
            )
            session_id = None
            waiting = False
            if outcome.user is not None:
                session_id, waiting = start_session(uow, settings, outcome.user, previous_session)
            uow.commit()
        return outcome, session_id, waiting

    outcome, session_id, waiting = await run_in_threadpool(attempt)
    if outcome.user is None or session_id is None:
        # Slowed, so that guessing costs time; the growing delays do the rest.
        await asyncio.sleep(settings.signin_failure_delay_seconds)
        return signin_page(
            request,
            username=username,
            error=outcome.refusal or accounts.WRONG_CREDENTIALS,
            next_path=safe_next(suite),
            status=401,
        )
    response = RedirectResponse(landing(suite, waiting=waiting), status_code=303)
    return with_session(response, request, session_id)


def start_session(
    uow: UnitOfWork,
    settings: Settings,
    user: User,
    previous_session: str | None,
    *,
    method: str = accounts.PASSWORD,
    acr: str | None = None,
    id_token: str | None = None,
) -> tuple[str, bool]:
    """A new session for this user (the former one ends: a session id is never carried
    over); and whether messages wait for the préfet's approval. The caller commits."""
    if previous_session:
        uow.sessions.remove(previous_session)
    session_id, _ = accounts.open_session(
        uow, settings, user, method=method, acr=acr, id_token=id_token
    )
    waiting = user.role == "prefect" and bool(submitted_drafts(uow))
    return session_id, waiting


def landing(target: str | None, *, waiting: bool) -> str:
    """The préfet goes straight to the messages waiting for approval, unless the sign-in
    was asked on the way to a page (the message an approver's link opens)."""
    chosen = safe_next(target)
    return "/validation" if waiting and chosen == "/" else chosen


def with_session(response: Response, request: Request, session_id: str) -> Response:
    settings = service_of(request).settings
    set_session_cookie(response, request, session_id, max_age=settings.session_minutes * 60)
    response.delete_cookie(SIGNIN_COOKIE, path="/connexion")
    return response


@router.post("/deconnexion")
def signout(request: Request, session: CurrentUser, _: PostedForm) -> Response:
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        ended = uow.sessions.find(session.session_id, now=uow.now)
        accounts.close_session(uow, session.session_id, session.user)
        uow.commit()
    target = "/connexion?fait=deconnexion"
    if ended is not None and ended.method == accounts.PROCONNECT and ended.id_token:
        # Signed in through ProConnect: signed out there too (RP-initiated logout).
        target = provider_logout_url(request, ended.id_token) or target
    response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response, request)
    return response
