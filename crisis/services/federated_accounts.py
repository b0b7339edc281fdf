"""Signing in through ProConnect to an account the préfecture created beforehand.

The first sign-in of an identity is matched by e-mail to an account not bound yet, which is
then bound to the provider's subject; later sign-ins are matched by the subject alone (an
address can change, the subject does not). Nothing the provider says sets a role. Every
outcome is journalled on the `system` chain with the method used.
"""

from __future__ import annotations

from dataclasses import dataclass

from crisis.domain.commands import AddUser
from crisis.federation.oidc import Identity
from crisis.services.accounts import (
    MAX_JOURNALLED_NAME,
    PROCONNECT,
    journal_auth,
    record_signed_in,
)
from crisis.services.roles import Role
from crisis.settings import Settings
from crisis.store.unit_of_work import UnitOfWork
from crisis.store.users_repository import User

UNKNOWN_IDENTITY = "unknown_identity"
BOUND_ELSEWHERE = "bound_to_another_identity"
INACTIVE = "inactive_account"


@dataclass(frozen=True, slots=True)
class FederatedOutcome:
    user: User | None
    refusal: str | None  # journalled reason; the page explains it in French
    bound_now: bool = False


def sign_in_federated(uow: UnitOfWork, identity: Identity) -> FederatedOutcome:
    """Find (and on the first sign-in, bind) the account of this identity. The caller commits."""
    now = uow.now
    user = uow.users.by_subject(identity.issuer, identity.subject)
    bound_now = False
    if user is None and identity.email:
        candidate = uow.users.by_email(identity.email)
        if candidate is not None and candidate.oidc_subject is not None:
            # The address is that of an account bound to someone else: never rebind silently.
            _failed(uow, identity, BOUND_ELSEWHERE, candidate.name)
            return FederatedOutcome(None, BOUND_ELSEWHERE)
        if candidate is not None:
            uow.users.bind_subject(
                candidate.id, issuer=identity.issuer, subject=identity.subject, now=now
            )
            journal_auth(
                uow,
                "auth.IdentityBound",
                candidate.name,
                {
                    "method": PROCONNECT,
                    "issuer": identity.issuer,
                    "subject": identity.subject,
                    "email": identity.email,
                    "siret": identity.siret,
                    "idp_id": identity.idp_id,
                },
            )
            user, bound_now = candidate, True
    if user is None:
        _failed(uow, identity, UNKNOWN_IDENTITY, None)
        return FederatedOutcome(None, UNKNOWN_IDENTITY)
    if not user.active:
        _failed(uow, identity, INACTIVE, user.name)
        return FederatedOutcome(None, INACTIVE)
    record_signed_in(uow, user, method=PROCONNECT, acr=identity.acr, idp_id=identity.idp_id)
    return FederatedOutcome(user, None, bound_now=bound_now)


def record_federation_failure(uow: UnitOfWork, *, reason: str, unreachable: bool) -> None:
    """A sign-in through the provider that failed before anyone was known: the provider did
    not answer (the console then points to the break-glass password) or a check failed."""
    kind = "auth.FederationUnreachable" if unreachable else "auth.SignInFailed"
    journal_auth(uow, kind, "ProConnect", {"method": PROCONNECT, "reason": reason[:200]})


def _failed(uow: UnitOfWork, identity: Identity, reason: str, account: str | None) -> None:
    journal_auth(
        uow,
        "auth.SignInFailed",
        (account or identity.email or identity.subject)[:MAX_JOURNALLED_NAME],
        {
            "method": PROCONNECT,
            "reason": reason,
            "subject": identity.subject,
            "email": identity.email,
            "siret": identity.siret,
            "idp_id": identity.idp_id,
        },
    )


def account_to_create(uow: UnitOfWork, settings: Settings, identity: Identity) -> AddUser | None:
    """For an identity with no account whose SIRET the settings list: the account to create,
    with the lowest role (the auditor writes nothing) for the administrator to promote."""
    if not identity.email or identity.siret not in settings.oidc_auto_create_sirets:
        return None
    if uow.users.by_subject(identity.issuer, identity.subject) is not None:
        return None
    if uow.users.by_email(identity.email) is not None:
        return None  # matched (or refused) by sign_in_federated
    name = " ".join(filter(None, [identity.given_name, identity.usual_name])) or identity.email
    name = name[:MAX_JOURNALLED_NAME]
    if uow.users.by_name(name) is not None:
        name = f"{name} ({identity.email})"[:MAX_JOURNALLED_NAME]
    return AddUser(name=name, role=Role.AUDITOR.value, email=identity.email)
