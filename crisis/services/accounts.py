"""Console accounts: Argon2 passwords, sign-in with lockout, sessions. All journalled.

Sign-in is not a bus command: it is made by someone not yet known, and a refused sign-in
must still be recorded (the failure count, the journal entry) while the answer is a refusal.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crisis.domain.errors import InvalidInput
from crisis.french import short_time
from crisis.settings import Settings
from crisis.store.journal import SYSTEM_STREAM
from crisis.store.sessions_repository import WebSession
from crisis.store.unit_of_work import UnitOfWork
from crisis.store.users_repository import User

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
MAX_JOURNALLED_NAME = 120

# The OWASP Password Storage Cheat Sheet's Argon2id setting (19 MiB, 2 passes, 1 lane): a
# sign-in stays well under a second on a small shared server.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@functools.cache
def _unknown_user_hash() -> str:
    """Verified against when the name is unknown, so that the answer takes as long either
    way. Made at the first sign-in, not at import: a hash takes 0.1 s, which every command
    of the CLI paid."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "password",
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            "password", f"Le mot de passe ne peut dépasser {MAX_PASSWORD_LENGTH} caractères."
        )
    return _hasher.hash(password)


def _password_matches(stored_hash: str | None, password: str) -> bool:
    unknown_user_hash = _unknown_user_hash()  # made whoever signs in first, known or not
    try:
        return _hasher.verify(stored_hash or unknown_user_hash, password) and (
            stored_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class SignInOutcome:
    user: User | None
    refusal: str | None  # in French, for the sign-in page
    locked_now: bool = False


WRONG_CREDENTIALS = "Nom d'utilisateur ou mot de passe incorrect."
PASSWORD_SIGNIN_OFF = (
    "La connexion par mot de passe est réservée aux comptes de secours : "  # noqa: S105
    "connectez-vous avec ProConnect."
)
PASSWORD = "password"  # noqa: S105 (a sign-in method: how the session was opened)
PROCONNECT = "proconnect"


def sign_in(uow: UnitOfWork, settings: Settings, *, name: str, password: str) -> SignInOutcome:
    """Check a name and password; count, lock and journal failures. The caller commits."""
    now = uow.now
    name = name.strip()
    user = uow.users.by_name(name, for_update=True) if name else None
    usable = user is not None and user.active
    matches = _password_matches(user.password_hash if usable and user else None, password)
    journalled_name = name[:MAX_JOURNALLED_NAME]
    if user is None or not usable:
        journal_auth(uow, "auth.SignInFailed", journalled_name, {"reason": "unknown_user"})
        return SignInOutcome(None, WRONG_CREDENTIALS)
    if user.locked_until is not None and user.locked_until > now:
        journal_auth(uow, "auth.SignInFailed", user.name, {"reason": "locked"})
        return SignInOutcome(None, locked_message(user.locked_until, settings))
    if matches:
        if settings.password_signin_break_glass_only and user.name not in (
            settings.break_glass_accounts
        ):
            journal_auth(
                uow,
                "auth.SignInFailed",
                user.name,
                {"method": PASSWORD, "reason": "password_signin_off"},
            )
            return SignInOutcome(None, PASSWORD_SIGNIN_OFF)
        record_signed_in(uow, user, method=PASSWORD)
        return SignInOutcome(user, None)
    failures, locked_until = _count_failure(uow, settings, user)
    journal_auth(
        uow, "auth.SignInFailed", user.name, {"reason": "wrong_password", "in_a_row": failures}
    )
    if locked_until is not None:
        journal_auth(uow, "auth.AccountLocked", user.name, {"until": locked_until.isoformat()})
        return SignInOutcome(None, locked_message(locked_until, settings), locked_now=True)
    return SignInOutcome(None, WRONG_CREDENTIALS)


def _count_failure(uow: UnitOfWork, settings: Settings, user: User) -> tuple[int, datetime | None]:
    """One more wrong password: the count in a row, and the end of the lockout it starts."""
    # A lockout that has run out starts a new count.
    previous = 0 if user.locked_until is not None else user.failed_signins
    failures = previous + 1
    locked_until = None
    if failures >= settings.signin_max_failures:
        locked_until = uow.now + timedelta(minutes=settings.signin_lockout_minutes)
    if user.locked_until is not None:
        uow.users.record_signin_success(user.id)  # reset the count of the lapsed lockout
    uow.users.record_signin_failure(user.id, locked_until=locked_until)
    return failures, locked_until


def password_again(uow: UnitOfWork, settings: Settings, user: User, password: str) -> bool:
    """The signed-in user types their password again (step-up verification). A wrong one
    counts toward the lockout like a sign-in's. The caller journals and commits."""
    current = uow.users.by_id(user.id)
    if current is None or (current.locked_until is not None and current.locked_until > uow.now):
        return False
    if _password_matches(current.password_hash, password):
        return True
    _count_failure(uow, settings, current)
    return False


def record_signed_in(uow: UnitOfWork, user: User, *, method: str, **details: object) -> None:
    """A sign-in that succeeded, whatever its method: the failure count cleared, the method
    and instant kept for the administration page, the journal told."""
    uow.users.record_signin_success(user.id)
    uow.users.record_signin_method(user.id, method=method, now=uow.now)
    journal_auth(uow, "auth.SignedIn", user.name, {"role": user.role, "method": method, **details})


def locked_message(until: datetime, settings: Settings) -> str:
    return (
        f"Ce compte est verrouillé jusqu'à {short_time(until)} après "
        f"{settings.signin_max_failures} mots de passe erronés de suite. Réessayez ensuite, "
        "ou demandez à l'administrateur de changer le mot de passe."
    )


def open_session(
    uow: UnitOfWork,
    settings: Settings,
    user: User,
    *,
    method: str = PASSWORD,
    acr: str | None = None,
    id_token: str | None = None,
) -> tuple[str, WebSession]:
    """A new session (and a new id: one is never reused across sign-ins). The caller commits."""
    session_id = secrets.token_urlsafe(32)
    session = WebSession(
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=uow.now,
        expires_at=uow.now + timedelta(minutes=settings.session_minutes),
        method=method,
        acr=acr,
        id_token=id_token,
        # A sign-in verifies the person at that instant, by its method (step-up).
        verified_at=uow.now,
        verified_method=method,
    )
    uow.sessions.remove_expired(now=uow.now)
    uow.sessions.add(session_id=session_id, session=session)
    return session_id, session


def close_session(uow: UnitOfWork, session_id: str, user: User) -> None:
    uow.sessions.remove(session_id)
    journal_auth(uow, "auth.SignedOut", user.name, {})


def journal_auth(uow: UnitOfWork, kind: str, actor: str, payload: dict[str, object]) -> None:
    """An entry of the `system` chain about signing in (never a password or a token in it)."""
    uow.journal.append(stream=SYSTEM_STREAM, at=uow.now, actor=actor, kind=kind, payload=payload)
