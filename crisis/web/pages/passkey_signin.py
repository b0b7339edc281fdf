"""Signing in with a passkey alone: `POST /connexion/cle/options`, then `POST /connexion/cle`
with the browser's signed answer. The sign-in page's own token guards both (double submit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.concurrency import run_in_threadpool

from crisis.services import accounts, passkeys
from crisis.web.pages.signin import landing, start_session, with_session
from crisis.web.passkey_support import answer, refused, relying_party
from crisis.web.routing import console_router
from crisis.web.sessions import SESSION_COOKIE, SIGNIN_COOKIE, CsrfRefused, service_of, tokens_match

router = console_router()

REFUSED = "Cette clé d'accès n'a pas permis de vous connecter."


def _check_token(request: Request, csrf_token: str) -> None:
    if not tokens_match(request.cookies.get(SIGNIN_COOKIE, ""), csrf_token):
        raise CsrfRefused()


@router.post("/connexion/cle/options")
def signin_options(
    request: Request, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    _check_token(request, csrf_token)
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        ceremony = passkeys.authentication_ceremony(
            uow, relying_party(request), purpose=passkeys.SIGN_IN
        )
        uow.commit()
    return answer({"handle": ceremony.handle, "options": ceremony.options})


@router.post("/connexion/cle")
async def signin_with_passkey(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    handle: Annotated[str, Form(max_length=100)] = "",
    credential: Annotated[str, Form(max_length=20_000)] = "",
    suite: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    _check_token(request, csrf_token)
    service = service_of(request)
    settings = service.settings
    rp = relying_party(request)
    previous_session = request.cookies.get(SESSION_COOKIE)

    def attempt() -> tuple[str | None, bool]:
        with service.bus.unit_of_work() as uow:
            try:
                user = passkeys.authenticate(
                    uow, rp, handle=handle, credential=credential, purpose=passkeys.SIGN_IN
                )
            except passkeys.PasskeyRefused as refusal:
                accounts.journal_auth(
                    uow,
                    "auth.SignInFailed",
                    "clé d'accès",
                    {"method": passkeys.PASSKEY, "reason": refusal.reason},
                )
                uow.commit()
                return None, False
            accounts.record_signed_in(uow, user, method=passkeys.PASSKEY)
            session_id, waiting = start_session(
                uow, settings, user, previous_session, method=passkeys.PASSKEY
            )
            uow.commit()
        return session_id, waiting

    session_id, waiting = await run_in_threadpool(attempt)
    if session_id is None:
        return refused(REFUSED)
    return with_session(answer({"redirect": landing(suite, waiting=waiting)}), request, session_id)
