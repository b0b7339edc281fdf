"""Step-up verification: before approving a message, activating the COD or ordering the CIP,
the person at the keyboard may have to prove again who they are, so that a session left open
(or stolen) cannot send a message to every mayor.

Per action a setting says what counts: `none`; `passkey` (a passkey used within the last
`step_up_minutes`); `password` (the password typed again, or a passkey, within that time).
A sign-in by password or passkey counts as a verification at that instant.

Adding a passkey needs a recent verification by any method, a fresh ProConnect sign-in
included: otherwise a stolen session could add the thief's passkey, and with it pass every
step-up afterwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crisis.services.accounts import PASSWORD, journal_auth
from crisis.services.passkeys import PASSKEY
from crisis.settings import Settings
from crisis.store.unit_of_work import UnitOfWork
from crisis.store.users_repository import User

APPROVE_MESSAGE = "approve_message"
ACTIVATE_COD = "activate_cod"
ORDER_CIP = "order_cip"
ADD_PASSKEY = "add_passkey"
ACTION_LABELS = {
    ADD_PASSKEY: "ajouter une clé d'accès",
    APPROVE_MESSAGE: "valider un message",
    ACTIVATE_COD: "activer le COD",
    ORDER_CIP: "ordonner l'activation de la CIP",
}


def policy(settings: Settings, action: str) -> str:
    return {
        APPROVE_MESSAGE: settings.step_up_approve_message,
        ACTIVATE_COD: settings.step_up_activate_cod,
        ORDER_CIP: settings.step_up_order_cip,
        ADD_PASSKEY: "any",
    }[action]


def is_fresh(
    settings: Settings,
    action: str,
    *,
    verified_at: datetime | None,
    verified_method: str | None,
    now: datetime,
) -> bool:
    required = policy(settings, action)
    if required == "none":
        return True
    if verified_at is None or now - verified_at > timedelta(minutes=settings.step_up_minutes):
        return False
    if required == "any":
        return True
    accepted = {PASSKEY} if required == PASSKEY else {PASSKEY, PASSWORD}
    return verified_method in accepted


def record(uow: UnitOfWork, *, session_id: str, user: User, method: str, action: str) -> None:
    uow.sessions.record_verification(session_id, method=method, now=uow.now)
    journal_auth(uow, "auth.StepUpVerified", user.name, {"method": method, "for": action})


def record_failure(uow: UnitOfWork, *, user: User, method: str, reason: str) -> None:
    journal_auth(uow, "auth.StepUpFailed", user.name, {"method": method, "reason": reason})
