"""Vérification (`/verification`): the signed-in person proves again who they are, with a
passkey or their password, before a grave action that the settings guard (step-up)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse

from crisis.services import accounts, passkeys, step_up
from crisis.web.pages.signin import safe_next
from crisis.web.passkey_support import answer, refused, relying_party
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CsrfRefused, CurrentUser, SignedIn, service_of, tokens_match

router = console_router()


class StepUpRequired(Exception):  # noqa: N818
    """Answered by the verification page; nothing of the action was done."""

    def __init__(self, action: str, back: str) -> None:
        super().__init__(action)
        self.action = action
        self.back = back


def require_fresh_verification(request: Request, session: SignedIn, action: str, back: str) -> None:
    """Before a guarded action: raise StepUpRequired unless the person was verified recently
    enough, the way the setting of this action asks."""
    service = service_of(request)
    if not step_up.is_fresh(
        service.settings,
        action,
        verified_at=session.verified_at,
        verified_method=session.verified_method,
        now=service.clock.now(),
    ):
        raise StepUpRequired(action, back)


def verification_page(
    request: Request, session: SignedIn, *, action: str, back: str, error: str = "", status: int
) -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        has_passkey = bool(uow.passkeys.of_user(session.user.id))
    required = (
        step_up.policy(service.settings, action) if action in step_up.ACTION_LABELS else "password"
    )
    return page(
        request,
        "step_up.html.j2",
        {
            "action": action,
            "action_label": step_up.ACTION_LABELS.get(action, "continuer"),
            "back": safe_next(back),
            "minutes": service.settings.step_up_minutes,
            "passkey_only": required == passkeys.PASSKEY,
            "has_passkey": has_passkey,
            "has_password": session.user.password_hash is not None,
            "error": error,
        },
        session=session,
        status_code=status,
    )


@router.get("/verification")
def verification(
    request: Request, session: CurrentUser, action: str = "", suite: str = "/"
) -> Response:
    return verification_page(request, session, action=action, back=suite, status=200)


def _form_token(session: SignedIn, given: str) -> None:
    if not tokens_match(session.csrf_token, given):
        raise CsrfRefused()


@router.post("/verification/mot-de-passe")
def verify_password(
    request: Request,
    session: CurrentUser,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    action: Annotated[str, Form(max_length=40)] = "",
    suite: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    _form_token(session, csrf_token)
    service = service_of(request)
    if action in step_up.ACTION_LABELS and step_up.policy(service.settings, action) == "passkey":
        return verification_page(
            request,
            session,
            action=action,
            back=suite,
            error="Cette action demande une clé d'accès : le mot de passe ne suffit pas.",
            status=403,
        )
    with service.bus.unit_of_work() as uow:
        matches = accounts.password_again(uow, service.settings, session.user, password)
        if matches:
            step_up.record(
                uow,
                session_id=session.session_id,
                user=session.user,
                method=accounts.PASSWORD,
                action=action,
            )
        else:
            step_up.record_failure(
                uow, user=session.user, method=accounts.PASSWORD, reason="wrong_password"
            )
        uow.commit()
    if not matches:
        return verification_page(
            request,
            session,
            action=action,
            back=suite,
            error="Mot de passe incorrect, ou essais trop rapprochés : rien n'a été fait.",
            status=401,
        )
    return RedirectResponse(safe_next(suite), status_code=303)


@router.post("/verification/cle/options")
def verify_options(
    request: Request, session: CurrentUser, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    _form_token(session, csrf_token)
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        ceremony = passkeys.authentication_ceremony(
            uow, relying_party(request), purpose=passkeys.VERIFY, user=session.user
        )
        uow.commit()
    return answer({"handle": ceremony.handle, "options": ceremony.options})


@router.post("/verification/cle")
def verify_with_passkey(
    request: Request,
    session: CurrentUser,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    handle: Annotated[str, Form(max_length=100)] = "",
    credential: Annotated[str, Form(max_length=20_000)] = "",
    action: Annotated[str, Form(max_length=40)] = "",
    suite: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    _form_token(session, csrf_token)
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        try:
            passkeys.authenticate(
                uow,
                relying_party(request),
                handle=handle,
                credential=credential,
                purpose=passkeys.VERIFY,
            )
        except passkeys.PasskeyRefused as refusal:
            step_up.record_failure(
                uow, user=session.user, method=passkeys.PASSKEY, reason=refusal.reason
            )
            uow.commit()
            return refused("Cette clé d'accès n'a pas permis de vous vérifier.")
        step_up.record(
            uow,
            session_id=session.session_id,
            user=session.user,
            method=passkeys.PASSKEY,
            action=action,
        )
        uow.commit()
    return answer({"redirect": safe_next(suite)})
