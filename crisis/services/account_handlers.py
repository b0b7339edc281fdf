"""Handlers of the administrator's account commands: role, API token, sign-in delays,
deactivation."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email

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
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.signin_throttle import Scope, account_key
from crisis.services.context import HandlerContext, Outcome
from crisis.services.roles import Role
from crisis.store.journal import SYSTEM_STREAM
from crisis.store.unit_of_work import UnitOfWork
from crisis.store.users_repository import User


def _user(ctx: HandlerContext, name: str) -> User:
    user = ctx.uow.users.by_name(name.strip())
    if user is None:
        raise NotFound(f"Aucun utilisateur ne s'appelle « {name.strip()} ».")
    return user


def checked_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(
            "role", f"Rôle inconnu « {value} » ; rôles possibles : {known}."
        ) from None


def change_role(cmd: ChangeRole, ctx: HandlerContext) -> Outcome:
    user = _user(ctx, cmd.name)
    role = checked_role(cmd.role)
    if user.id == ctx.actor.user_id:
        raise Conflict(
            "Vous ne pouvez pas changer votre propre rôle : demandez-le à un autre administrateur."
        )
    ctx.uow.users.set_role(user.id, role.value)
    # What the user may do changed: their open sessions end, they sign in again.
    ended = ctx.uow.sessions.remove_of_user(user.id)
    return Outcome(
        result=user.name,
        stream=SYSTEM_STREAM,
        journal={"from": user.role, "to": role.value, "sessions_ended": ended},
    )


def revoke_api_token(cmd: RevokeApiToken, ctx: HandlerContext) -> Outcome:
    user = _user(ctx, cmd.name)
    # The column holds one token per user: a random one that nobody is told replaces it.
    ctx.uow.users.set_token(user.id, secrets.token_urlsafe(32))
    return Outcome(result=user.name, stream=SYSTEM_STREAM)


def unlock_account(cmd: UnlockAccount, ctx: HandlerContext) -> Outcome:
    """Lift the delays of the user's name: the next attempt is allowed at once."""
    user = _user(ctx, cmd.name)
    was_slowed = ctx.uow.signin_throttle.clear(Scope.ACCOUNT, account_key(user.name))
    return Outcome(result=user.name, stream=SYSTEM_STREAM, journal={"was_slowed": was_slowed})


def checked_email(
    uow: UnitOfWork, value: str, *, owner_id: str | None = None, conflict_field: str | None = None
) -> str | None:
    """A valid address, lower-cased, held by no other account; None when left empty. With
    `conflict_field`, an address held by another account is a problem of that field (422)."""
    value = value.strip()
    if not value:
        return None
    try:
        email = validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput("email", f"« {value} » n'est pas une adresse électronique.") from None
    holder = uow.users.by_email(email)
    if holder is not None and holder.id != owner_id:
        message = f"L'adresse {email} est déjà celle du compte « {holder.name} »."
        if conflict_field is not None:
            raise InvalidInput(conflict_field, message)
        raise Conflict(message)
    return email


def set_user_email(cmd: SetUserEmail, ctx: HandlerContext) -> Outcome:
    user = _user(ctx, cmd.name)
    email = checked_email(ctx.uow, cmd.email, owner_id=user.id)
    ctx.uow.users.set_email(user.id, email)
    return Outcome(
        result=user.name, stream=SYSTEM_STREAM, journal={"from": user.email, "to": email}
    )


def unbind_identity(cmd: UnbindIdentity, ctx: HandlerContext) -> Outcome:
    user = _user(ctx, cmd.name)
    if user.oidc_subject is None:
        raise Conflict(f"Le compte « {user.name} » n'est lié à aucune identité ProConnect.")
    ctx.uow.users.unbind_subject(user.id)
    # Its sessions opened through the provider end with the binding.
    ctx.uow.sessions.remove_for_user(user.id, method="proconnect")
    return Outcome(
        result=user.name,
        stream=SYSTEM_STREAM,
        journal={"issuer": user.oidc_issuer, "subject": user.oidc_subject},
    )


def revoke_passkeys(cmd: RevokePasskeys, ctx: HandlerContext) -> Outcome:
    user = _user(ctx, cmd.name)
    revoked = ctx.uow.passkeys.remove_all_of_user(user.id)
    if not revoked:
        raise Conflict(f"Le compte « {user.name} » n'a aucune clé d'accès.")
    ctx.uow.sessions.remove_for_user(user.id, method="passkey")
    return Outcome(result=user.name, stream=SYSTEM_STREAM, journal={"revoked": revoked})


def deactivate_user(cmd: DeactivateUser, ctx: HandlerContext) -> Outcome:
    """The user can no longer sign in; their sessions end now, their API token is refused."""
    user = _user(ctx, cmd.name)
    if user.id == ctx.actor.user_id:
        raise Conflict(
            "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre "
            "administrateur."
        )
    if not user.active:
        raise Conflict(f"Le compte de « {user.name} » est déjà désactivé.")
    ctx.uow.users.set_active(user.id, False)
    ended = ctx.uow.sessions.remove_of_user(user.id)
    return Outcome(result=user.name, stream=SYSTEM_STREAM, journal={"sessions_ended": ended})


def reactivate_user(cmd: ReactivateUser, ctx: HandlerContext) -> Outcome:
    user = _user(ctx, cmd.name)
    if user.active:
        raise Conflict(f"Le compte de « {user.name} » est déjà actif.")
    ctx.uow.users.set_active(user.id, True)
    return Outcome(result=user.name, stream=SYSTEM_STREAM)
