"""L'administration (`/administration`), for the administrator only: the console's users.

Add a user, change a role, reset a password, revoke an API token, lift the sign-in delays of
an account, deactivate or reactivate it, set the e-mail a first ProConnect sign-in is matched
by, unbind a ProConnect identity, revoke an account's passkeys, set the order in which the
approvers are called (`SetApprovers`): each through its command
(`AddUser`, `ChangeRole`, `SetPassword`, `RevokeApiToken`, `UnlockAccount`, `DeactivateUser`,
`ReactivateUser`, `SetUserEmail`, `UnbindIdentity`, `RevokePasskeys`), so each is allowed to
the administrator alone by the command table and journalled on the `system` chain. Reading the
page is refused to the other roles too.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from crisis.domain.account_commands import (
    ChangeRole,
    DeactivateUser,
    ReactivateUser,
    RevokeApiToken,
    RevokePasskeys,
    SetUserEmail,
    UnbindIdentity,
    UnlockAccount,
)
from crisis.domain.approval_calls import ApproverInput, SetApprovers
from crisis.domain.commands import AddUser, Command, SetPassword
from crisis.domain.contacts import Category
from crisis.domain.errors import Conflict, FieldCheck, InvalidInput
from crisis.domain.signin_throttle import Scope, account_key, next_attempt_at
from crisis.services.approver_order import APPROVER_ROLE, approver_lines
from crisis.services.bus import Forbidden
from crisis.services.registry import may_run
from crisis.services.roles import ROLE_LABELS
from crisis.store.unit_of_work import UnitOfWork
from crisis.store.users_repository import User
from crisis.web import forms
from crisis.web.commands import run
from crisis.web.field_errors import field_errors
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of

router = console_router()

ROLES = [(role.value, label) for role, label in ROLE_LABELS.items()]
DONE = {
    "role": "Rôle changé : les sessions ouvertes de cet utilisateur sont fermées.",
    "mot-de-passe": "Mot de passe remplacé : les autres sessions de cet utilisateur sont "
    "fermées et ses délais de connexion levés.",
    "jeton": "Jeton d'API révoqué : il ne donne plus accès à l'API.",
    "deverrouille": "Délais de connexion levés : l'utilisateur peut réessayer tout de suite.",
    "desactive": "Compte désactivé : ses sessions sont fermées et son jeton d'API refusé.",
    "reactive": "Compte réactivé : l'utilisateur peut de nouveau se connecter.",
    "adresse": "Adresse électronique enregistrée.",
    "cles": "Clés d'accès révoquées : elles ne donnent plus accès à la console.",
    "valideurs": "Ordre d'appel des valideurs enregistré.",
    "delie": "Identité ProConnect déliée : la prochaine connexion ProConnect sera rapprochée "
    "par l'adresse électronique.",
}
METHOD_LABELS = {"password": "mot de passe", "proconnect": "ProConnect", "passkey": "clé d'accès"}


def signin_methods(account: User, break_glass: list[str], passkeys: int) -> str:
    """How this account can sign in to the console, in French."""
    methods = []
    if account.oidc_subject:
        methods.append("ProConnect")
    if passkeys:
        methods.append(
            f"clé d'accès ({passkeys})" if passkeys == 1 else f"clés d'accès ({passkeys})"
        )
    if account.password_hash:
        methods.append("mot de passe de secours" if account.name in break_glass else "mot de passe")
    return ", ".join(methods) or "aucune (API seulement)"


# The failed sign-ins shown: those of the last day.
RECENT_FAILURES = timedelta(hours=24)


def _admin(session: SignedIn) -> None:
    if not may_run(session.user.role, AddUser):
        raise Forbidden("Cette page est réservée à l'administrateur.")


def _page(
    request: Request, session: SignedIn, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        users = uow.users.all()
        passkey_counts = uow.passkeys.counts()
        now = uow.now
        failures = uow.signin_throttle.recent(since=now - RECENT_FAILURES)
        approvers = approver_form(uow)
    policies = service.settings.signin_policies
    shown = [(f, next_attempt_at(f, policies[f.scope], now)) for f in failures]
    by_name = {f.key: (f.current(now), until) for f, until in shown if f.scope is Scope.ACCOUNT}
    context: dict[str, Any] = {
        "users": users,
        "now": now,
        "failures": shown,
        # Per user: (failures in a row that still count, the instant the delay ends or None).
        "throttle_of": {u.id: by_name.get(account_key(u.name), (0, None)) for u in users},
        "roles": ROLES,
        "role_labels": dict(ROLES),
        "method_labels": METHOD_LABELS,
        "proconnect": service.settings.oidc_configured,
        "passkey_counts": passkey_counts,
        "signin_methods": lambda account: signin_methods(
            account, service.settings.break_glass_accounts, passkey_counts.get(account.id, 0)
        ),
        **approvers,
        "done": "",
        "created": None,
        "errors": {},
        "values": {
            "idempotency_key": str(uuid.uuid4()),
            "role": "comm_cell",
            "name": "",
            "email": "",
        },
        **(extra or {}),
    }
    return page(request, "administration.html.j2", context, session=session, status_code=status)


@router.get("/administration")
def users(request: Request, session: CurrentUser, fait: str = "") -> Response:
    _admin(session)
    return _page(request, session, {"done": DONE.get(fait, "")})


@router.post("/administration/utilisateurs")
def add_user(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    _admin(session)
    check = FieldCheck()
    name = check.read(lambda: forms.text(form, "name", limit=200)) or ""
    role = check.read(lambda: forms.text(form, "role", limit=40)) or ""
    password = check.read(lambda: forms.text(form, "password", limit=1000))
    email = check.read(lambda: forms.text(form, "email", limit=320))
    values = {
        "idempotency_key": forms.text(form, "idempotency_key", limit=100),
        "name": forms.text(form, "name", limit=10_000),
        "role": forms.text(form, "role", limit=40),
        "email": forms.text(form, "email", limit=10_000),
    }
    command = AddUser(name=name, role=role, password=password or None, email=email or None)
    try:
        check.done()
        created = run(request, session, form, command)
    except InvalidInput as error:
        return _page(request, session, {"errors": field_errors(error), "values": values}, 422)
    except Conflict as error:
        return _page(request, session, {"errors": {"name": error.message}, "values": values}, 409)
    return _page(request, session, {"created": {"name": command.name, "token": created["token"]}})


def _act(request: Request, session: SignedIn, form: Any, command: Command, done: str) -> Response:
    _admin(session)
    try:
        run(request, session, form, command, keyed=False)
    except (InvalidInput, Conflict) as error:
        status = 422 if isinstance(error, InvalidInput) else 409
        return _page(request, session, {"errors": {"action": error.message}}, status)
    # The API remembers tokens for a few seconds: a revoked token or a changed role counts now.
    cache = getattr(request.app.state, "token_cache", None)
    if cache is not None:
        cache.clear()
    return RedirectResponse(f"/administration?fait={done}", status_code=303)


@router.post("/administration/utilisateurs/{name}/role")
def change_role(request: Request, name: str, session: CurrentUser, form: PostedForm) -> Response:
    command = ChangeRole(name=name, role=forms.text(form, "role", limit=40))
    return _act(request, session, form, command, "role")


@router.post("/administration/utilisateurs/{name}/mot-de-passe")
def reset_password(request: Request, name: str, session: CurrentUser, form: PostedForm) -> Response:
    command = SetPassword(
        name=name,
        password=forms.text(form, "password", limit=1000),
        keep_session=session.session_id,
    )
    return _act(request, session, form, command, "mot-de-passe")


@router.post("/administration/utilisateurs/{name}/jeton")
def revoke_token(request: Request, name: str, session: CurrentUser, form: PostedForm) -> Response:
    return _act(request, session, form, RevokeApiToken(name=name), "jeton")


@router.post("/administration/utilisateurs/{name}/deverrouiller")
def unlock(request: Request, name: str, session: CurrentUser, form: PostedForm) -> Response:
    return _act(request, session, form, UnlockAccount(name=name), "deverrouille")


@router.post("/administration/utilisateurs/{name}/adresse")
def set_email(request: Request, name: str, session: CurrentUser, form: PostedForm) -> Response:
    command = SetUserEmail(name=name, email=forms.text(form, "email", limit=320))
    return _act(request, session, form, command, "adresse")


@router.post("/administration/utilisateurs/{name}/delier")
def unbind(request: Request, name: str, session: CurrentUser, form: PostedForm) -> Response:
    return _act(request, session, form, UnbindIdentity(name=name), "delie")


@router.post("/administration/utilisateurs/{name}/cles-d-acces")
def revoke_passkeys(
    request: Request, name: str, session: CurrentUser, form: PostedForm
) -> Response:
    return _act(request, session, form, RevokePasskeys(name=name), "cles")


@router.post("/administration/utilisateurs/{name}/desactiver")
def deactivate(request: Request, name: str, session: CurrentUser, form: PostedForm) -> Response:
    return _act(request, session, form, DeactivateUser(name=name), "desactive")


@router.post("/administration/utilisateurs/{name}/reactiver")
def reactivate(request: Request, name: str, session: CurrentUser, form: PostedForm) -> Response:
    return _act(request, session, form, ReactivateUser(name=name), "reactive")


# -- the approvers' order (crisis.services.approver_order) -----------------------------------


def approver_form(uow: UnitOfWork) -> dict[str, Any]:
    """The order as it stands, and a form row per user who may approve (plus the current)."""
    lines = approver_lines(uow)
    current = {a.user_id: a for a in uow.approvals.approvers()}
    users_by_id = {u.id: u for u in uow.users.all()}
    eligible = [u.name for u in users_by_id.values() if u.active and u.role == APPROVER_ROLE.value]
    rows = [
        (users_by_id[a.user_id].name, a.contact_id or "")
        for a in sorted(current.values(), key=lambda a: a.position)
    ]
    count = max(len(set(eligible) | {name for name, _ in rows}), 1)
    rows += [("", "")] * (count - len(rows))
    contacts = uow.contacts.find(category=Category.CELLULE, active=True)
    return {
        "approver_lines": lines,
        "approver_rows": rows,
        "approver_users": [("", "— personne —"), *((n, n) for n in sorted(eligible))],
        "approver_contacts": [
            ("", "le membre d'astreinte du même nom"),
            *((c.id, c.name) for c in contacts),
        ],
    }


@router.post("/administration/valideurs")
def set_approvers(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    """The whole order at once: position 1 is called first; an empty position is skipped."""
    items = []
    for position in range(1, 51):
        name = forms.text(form, f"valideur_{position}", limit=200)
        if name:
            contact = forms.text(form, f"contact_{position}", limit=100)
            items.append(ApproverInput(user=name, member=contact or None))
    _admin(session)
    try:
        run(request, session, form, SetApprovers(approvers=tuple(items)), keyed=False)
    except (InvalidInput, Conflict) as error:
        status = 422 if isinstance(error, InvalidInput) else 409
        return _page(request, session, {"errors": {"valideurs": error.message}}, status)
    return RedirectResponse("/administration?fait=valideurs#valideurs", status_code=303)
