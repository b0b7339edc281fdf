"""Who is signed in: the session cookie, the CSRF token of every form, the pre-sign-in token."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from crisis.bootstrap import Service
from crisis.services.context import Actor
from crisis.store.unit_of_work import UnitOfWork
from crisis.store.users_repository import User

SESSION_COOKIE = "crisis_session"
# Before sign-in there is no session: the sign-in form is protected by a random value kept in
# a cookie of its own and repeated in the form (double submit; SameSite=Strict as well).
SIGNIN_COOKIE = "crisis_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class NotSignedIn(Exception):  # noqa: N818
    """Answered by a redirect to the sign-in page."""


class CsrfRefused(Exception):  # noqa: N818
    """A form without the right token: answered with 403 and changes nothing."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    session_id: str
    csrf_token: str
    method: str = "password"  # how the session was opened
    verified_at: datetime | None = None  # the last step-up verification
    verified_method: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(name=self.user.name, role=self.user.role, user_id=self.user.id)


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def find_session(request: Request) -> SignedIn | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    with service_of(request).bus.reading() as uow:
        return session_in(uow, session_id)


def session_in(uow: UnitOfWork, session_id: str | None) -> SignedIn | None:
    """The session of this cookie value, read in a transaction the caller holds (a poll reads
    the session and what it shows in one)."""
    if not session_id:
        return None
    session = uow.sessions.find(session_id, now=uow.now)
    user = uow.users.by_id(session.user_id) if session is not None else None
    if session is None or user is None or not user.active:
        return None
    return SignedIn(
        user=user,
        session_id=session_id,
        csrf_token=session.csrf_token,
        method=session.method,
        verified_at=session.verified_at,
        verified_method=session.verified_method,
    )


def signed_in(request: Request) -> SignedIn:
    found = find_session(request)
    if found is None:
        raise NotSignedIn()
    return found


CurrentUser = Annotated[SignedIn, Depends(signed_in)]


def tokens_match(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected, given)


async def posted_form(request: Request, session: CurrentUser) -> FormData:
    """The form of a signed-in POST, once its CSRF token (field or header) is checked."""
    form = await request.form()
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not tokens_match(session.csrf_token, given):
        raise CsrfRefused()
    return form


PostedForm = Annotated[FormData, Depends(posted_form)]


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(
    response: Response, request: Request, session_id: str, *, max_age: int
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=is_https(request)
    )


def signin_token(request: Request) -> str:
    """The pre-sign-in token: the one of the cookie, or a new one."""
    return request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)


def remember_signin_token(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=3600,
        path="/connexion",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )
