"""Signing in through ProConnect: `POST /connexion/proconnect` sends the browser to the
provider, `GET /connexion/proconnect/retour` receives it back.

The sign-in under way (its nonce and PKCE verifier) is kept server side under a hash of its
`state`, and removed at its first use; the `state` itself also rides in a short-lived cookie
of this browser, so that a sign-in begun elsewhere cannot be finished here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from crisis.federation.oidc import FederationRefused, FederationUnreachable, Identity
from crisis.services import accounts, federated_accounts
from crisis.services.context import Actor
from crisis.store.oidc_logins_repository import PendingLogin
from crisis.web.federation import LOGGED_OUT_ROUTE, federation_client
from crisis.web.pages.signin import landing, safe_next, signin_page, start_session, with_session
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    CsrfRefused,
    is_https,
    service_of,
    tokens_match,
)

router = console_router()

STATE_COOKIE = "crisis_proconnect"
# The identity provider this browser last came back from (ProConnect's `idp_id`), passed as
# `idp_hint` so that the agent skips the choice of their ministry next time.
IDP_COOKIE = "crisis_proconnect_idp"
IDP_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
IDP_COOKIE_DAYS = 180
STATE_COOKIE_PATH = "/connexion/proconnect"
LOGIN_MINUTES = 10
CALLBACK_ROUTE = "proconnect_callback"
# Who creates the account of an agent of a listed SIRET (CRISIS_OIDC_AUTO_CREATE_SIRETS).
AUTO_CREATION = Actor(name="ProConnect (création automatique)", role="system")


OK, REFUSED, UNREACHABLE = "ok", "refused", "unreachable"


@dataclass(frozen=True, slots=True)
class _Finished:
    """How a return from the provider ended: ok, refused, unreachable, or the refusal of
    `federated_accounts` (unknown identity…); `detail` is the next path or the e-mail."""

    result: str
    session_id: str | None = None
    detail: str | None = None
    waiting: bool = False
    idp_id: str | None = None


def _unreachable(request: Request, reason: str, next_path: str = "/") -> Response:
    """The federation does not answer: journalled, and the password form for the break-glass
    accounts is offered in its place."""
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        federated_accounts.record_federation_failure(uow, reason=reason, unreachable=True)
        uow.commit()
    return signin_page(request, next_path=next_path, status=503, federation_down=True)


@router.post("/connexion/proconnect")
def start(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    suite: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not tokens_match(request.cookies.get(SIGNIN_COOKIE, ""), csrf_token):
        raise CsrfRefused()
    client = federation_client(request)
    if client is None:
        return _not_configured(request)
    service = service_of(request)
    now = service.clock.now()
    try:
        idp_hint = request.cookies.get(IDP_COOKIE, "")
        authorization = client.authorization_request(
            redirect_uri=str(request.url_for(CALLBACK_ROUTE)),
            now=now,
            idp_hint=idp_hint if IDP_PATTERN.match(idp_hint) else None,
        )
    except FederationUnreachable as error:
        return _unreachable(request, str(error), safe_next(suite))
    with service.bus.unit_of_work() as uow:
        uow.oidc_logins.remove_expired(now=uow.now)
        uow.oidc_logins.add(
            state=authorization.state,
            login=PendingLogin(
                nonce=authorization.nonce,
                code_verifier=authorization.code_verifier,
                next_path=safe_next(suite),
                created_at=uow.now,
                expires_at=uow.now + timedelta(minutes=LOGIN_MINUTES),
            ),
        )
        uow.commit()
    response = RedirectResponse(authorization.url, status_code=303)
    # Lax, not Strict: it must come back with the provider's redirect, a cross-site navigation.
    response.set_cookie(
        STATE_COOKIE,
        authorization.state,
        max_age=LOGIN_MINUTES * 60,
        path=STATE_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )
    return response


@router.get("/connexion/proconnect/retour", name=CALLBACK_ROUTE)
async def callback(
    request: Request,
    state: str = "",
    code: str = "",
    error: str = "",
) -> Response:
    client = federation_client(request)
    if client is None:
        return _not_configured(request)
    if not state:
        return _refused(request, "Le retour de ProConnect ne porte pas de requête en cours.")
    service = service_of(request)
    settings = service.settings
    browser_state = request.cookies.get(STATE_COOKIE, "")
    previous_session = request.cookies.get(SESSION_COOKIE)

    def finish() -> _Finished:
        with service.bus.unit_of_work() as uow:
            login = uow.oidc_logins.take(state, now=uow.now)
            uow.commit()
        reason = None
        if login is None:
            reason = "unknown_or_replayed_state"
        elif not tokens_match(state, browser_state):
            reason = "state_of_another_browser"
        elif error or not code:
            reason = f"provider_error:{error[:80] or 'no_code'}"
        if reason is not None or login is None:
            _record(reason or "unknown_or_replayed_state")
            return _Finished(REFUSED)
        try:
            identity: Identity = client.complete(
                code=code,
                code_verifier=login.code_verifier,
                nonce=login.nonce,
                redirect_uri=str(request.url_for(CALLBACK_ROUTE)),
                now=service.clock.now(),
            )
        except FederationUnreachable as failure:
            _record(str(failure), unreachable=True)
            return _Finished(UNREACHABLE, detail=login.next_path)
        except FederationRefused as failure:
            _record(failure.reason)
            return _Finished(REFUSED)
        with service.bus.reading() as uow:
            create = federated_accounts.account_to_create(uow, settings, identity)
        if create is not None:
            service.bus.handle(create, actor=AUTO_CREATION)
        with service.bus.unit_of_work() as uow:
            outcome = federated_accounts.sign_in_federated(uow, identity)
            session_id, waiting = None, False
            if outcome.user is not None:
                session_id, waiting = start_session(
                    uow,
                    settings,
                    outcome.user,
                    previous_session,
                    method=accounts.PROCONNECT,
                    acr=identity.acr,
                    id_token=identity.id_token,
                )
            uow.commit()
        if outcome.user is None:
            return _Finished(outcome.refusal or REFUSED, detail=identity.email)
        return _Finished(OK, session_id, login.next_path, waiting=waiting, idp_id=identity.idp_id)

    def _record(reason: str, *, unreachable: bool = False) -> None:
        with service.bus.unit_of_work() as uow:
            federated_accounts.record_federation_failure(
                uow, reason=reason, unreachable=unreachable
            )
            uow.commit()

    finished = await run_in_threadpool(finish)
    result, detail = finished.result, finished.detail
    if result == UNREACHABLE:
        response = signin_page(request, next_path=detail or "/", status=503, federation_down=True)
    elif result == OK and finished.session_id is not None:
        # Back from a cross-site redirect, the browser would not send the new SameSite=Strict
        # cookie with a redirect; a page of this site that moves on by itself does.
        target = landing(detail, waiting=finished.waiting)
        response = with_session(
            page(request, "signin_continue.html.j2", {"target": target}, session=None),
            request,
            finished.session_id,
        )
        if finished.idp_id and IDP_PATTERN.match(finished.idp_id):
            response.set_cookie(
                IDP_COOKIE,
                finished.idp_id,
                max_age=IDP_COOKIE_DAYS * 86400,
                path=STATE_COOKIE_PATH,
                httponly=True,
                samesite="lax",
                secure=is_https(request),
            )
    elif result in (federated_accounts.UNKNOWN_IDENTITY, federated_accounts.BOUND_ELSEWHERE):
        response = page(
            request,
            "signin_unknown.html.j2",
            {
                "email": detail,
                "bound_elsewhere": result == federated_accounts.BOUND_ELSEWHERE,
                "contact": settings.account_contact,
            },
            session=None,
            status_code=403,
        )
    elif result == federated_accounts.INACTIVE:
        response = _refused(request, "Ce compte est désactivé : adressez-vous à l'administrateur.")
    else:
        response = _refused(
            request,
            "La réponse de ProConnect n'a pas pu être vérifiée, ou cette connexion a déjà servi : "
            "recommencez depuis la page de connexion.",
        )
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH)
    return response


@router.get("/connexion/proconnect/deconnexion", name=LOGGED_OUT_ROUTE)
def logged_out() -> Response:
    """Where ProConnect sends the browser back after its own sign-out."""
    return RedirectResponse("/connexion?fait=deconnexion", status_code=303)


def _refused(request: Request, message: str) -> Response:
    return signin_page(request, error=message, status=403)


def _not_configured(request: Request) -> Response:
    return page(
        request,
        "error.html.j2",
        {
            "title": "ProConnect n'est pas configuré",
            "message": "Cette console ne propose pas la connexion avec ProConnect : "
            "connectez-vous avec votre nom et votre mot de passe.",
            "status": 404,
            "console": False,
        },
        session=None,
        status_code=404,
    )
