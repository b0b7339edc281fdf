"""Mes clés d'accès (`/compte/cles-d-acces`): every user registers, names and revokes their
own passkeys. Each change is journalled on the `system` chain."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from crisis.domain.errors import InvalidInput
from crisis.services import passkeys, step_up
from crisis.web import forms
from crisis.web.passkey_support import answer, refused, relying_party
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of

router = console_router()

PAGE = "/compte/cles-d-acces"
VERIFY_FIRST = "Confirmez d'abord votre identité (page « Vérification »), puis recommencez."
DONE = {
    "ajoutee": "Clé d'accès enregistrée : vous pouvez vous connecter avec elle.",
    "renommee": "Clé d'accès renommée.",
    "revoquee": "Clé d'accès révoquée : elle ne donne plus accès à la console.",
}


def _recently_verified(request: Request, session: SignedIn) -> bool:
    service = service_of(request)
    return step_up.is_fresh(
        service.settings,
        step_up.ADD_PASSKEY,
        verified_at=session.verified_at,
        verified_method=session.verified_method,
        now=service.clock.now(),
    )


def _page(request: Request, session: SignedIn, *, done: str = "", error: str = "") -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        keys = uow.passkeys.of_user(session.user.id)
    return page(
        request,
        "passkeys.html.j2",
        {
            "keys": keys,
            "done": DONE.get(done, ""),
            "error": error,
            "verify_first": not _recently_verified(request, session),
            "verify_url": "/verification?"
            + urlencode({"action": step_up.ADD_PASSKEY, "suite": PAGE}),
        },
        session=session,
        status_code=422 if error else 200,
    )


@router.get(PAGE)
def own_passkeys(request: Request, session: CurrentUser, fait: str = "") -> Response:
    return _page(request, session, done=fait)


@router.post(f"{PAGE}/options")
def registration_options(request: Request, session: CurrentUser, _: PostedForm) -> Response:
    if not _recently_verified(request, session):
        return refused(VERIFY_FIRST, 403)
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        ceremony = passkeys.registration_ceremony(uow, relying_party(request), session.user)
        uow.commit()
    return answer({"handle": ceremony.handle, "options": ceremony.options})


@router.post(PAGE)
def register(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    if not _recently_verified(request, session):
        return refused(VERIFY_FIRST, 403)
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        try:
            passkeys.register(
                uow,
                relying_party(request),
                session.user,
                handle=forms.text(form, "handle", limit=100),
                credential=forms.text(form, "credential", limit=20_000),
                name=forms.text(form, "name", limit=200),
                new_id=str(uuid.uuid4()),
            )
        except InvalidInput as error:
            return refused(error.message, 422)  # a bad name: nothing spent
        except passkeys.PasskeyRefused as refusal:
            uow.commit()  # the challenge spent, the refusal journalled
            return refused(refusal.reason, 422)
        uow.commit()
    return answer({"redirect": f"{PAGE}?fait=ajoutee"})


@router.post(PAGE + "/{passkey_id}/nom")
def rename(request: Request, passkey_id: str, session: CurrentUser, form: PostedForm) -> Response:
    service = service_of(request)
    try:
        with service.bus.unit_of_work() as uow:
            passkeys.rename(uow, session.user, passkey_id, forms.text(form, "name", limit=200))
            uow.commit()
    except InvalidInput as error:
        return _page(request, session, error=error.message)
    return RedirectResponse(f"{PAGE}?fait=renommee", status_code=303)


@router.post(PAGE + "/{passkey_id}/revoquer")
def revoke(request: Request, passkey_id: str, session: CurrentUser, _: PostedForm) -> Response:
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        passkeys.revoke(uow, session.user, passkey_id)
        uow.commit()
    return RedirectResponse(f"{PAGE}?fait=revoquee", status_code=303)
