"""Console accounts: Argon2 passwords, sign-in slowed by growing delays, sessions. All
journalled.

Sign-in is not a bus command: it is made by someone not yet known, and a refused sign-in
must still be recorded (the failure count, the journal entry) while the answer is a refusal.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crisis.domain.errors import InvalidInput
from crisis.domain.signin_throttle import Scope, account_key, next_attempt_at, wait_message
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


WRONG_CREDENTIALS = "Nom d'utilisateur ou mot de passe incorrect."
PASSWORD_SIGNIN_OFF = (
    "La connexion par mot de passe est réservée aux comptes de secours : "  # noqa: S105
    "connectez-vous avec ProConnect."
)
PASSWORD = "password"  # noqa: S105 (a sign-in method: how the session was opened)
PROCONNECT = "proconnect"


def sign_in(
    uow: UnitOfWork, settings: Settings, *, name: str, password: str, address: str
) -> SignInOutcome:
    """Check a name and password; slow down and journal failures. The caller commits.

    Whatever the name, known or not, active or not, the answers and the delays are the same.
    """
    now = uow.now
    name = name.strip()
    keys = {Scope.ACCOUNT: account_key(name), Scope.ADDRESS: address[:200]}
    policies = settings.signin_policies
    counts = {
        scope: uow.signin_throttle.find(scope, key, for_update=True) for scope, key in keys.items()
    }
    waits = [
        until
        for scope, count in counts.items()
        if count is not None and (until := next_attempt_at(count, policies[scope], now))
    ]
    if waits:
        # Too early: the password is not even checked, and the delay does not grow.
        for scope, key in keys.items():
            if counts[scope] is not None:
                uow.signin_throttle.record_refused_early(scope, key)
        return SignInOutcome(None, wait_message(max(waits), now))
    user = uow.users.by_name(name) if name else None
    usable = user is not None and user.active
    matches = _password_matches(user.password_hash if usable and user else None, password)
    if user is not None and usable and matches:
        if settings.password_signin_break_glass_only and user.name not in (
            settings.break_glass_accounts
        ):
            journal_auth(
                uow,
                "auth.SignInFailed",
                user.name,
                {"method": PASSWORD, "reason": "password_signin_off", "address": address},
            )
            return SignInOutcome(None, PASSWORD_SIGNIN_OFF)
        uow.signin_throttle.clear(Scope.ACCOUNT, keys[Scope.ACCOUNT])
        record_signed_in(uow, user, method=PASSWORD, address=address)
        return SignInOutcome(user, None)
    in_a_row = _record_failures(uow, keys)
    reason = "wrong_password" if usable else "unknown_user"
    journal_auth(
        uow,
        "auth.SignInFailed",
        user.name if user is not None else name[:MAX_JOURNALLED_NAME],
        {"reason": reason, "in_a_row": in_a_row[Scope.ACCOUNT], "address": address},
    )
    return SignInOutcome(None, WRONG_CREDENTIALS)


def _record_failures(uow: UnitOfWork, keys: dict[Scope, str]) -> dict[Scope, int]:
    """One more failure in a row for each key (the name typed, the address): the counts."""
    in_a_row: dict[Scope, int] = {}
    for scope, key in keys.items():
        count = uow.signin_throttle.find(scope, key, for_update=True)
        in_a_row[scope] = (count.current(uow.now) if count is not None else 0) + 1
        uow.signin_throttle.record_failure(scope, key, failures=in_a_row[scope], at=uow.now)
    return in_a_row


def password_again(uow: UnitOfWork, settings: Settings, user: User, password: str) -> bool:
    """The signed-in user types their password again (step-up verification). A wrong one
    slows the account down like a sign-in's; while it is slowed, none is checked. The caller
    journals and commits."""
    current = uow.users.by_id(user.id)
    if current is None or not current.active:
        return False
    keys = {Scope.ACCOUNT: account_key(current.name)}
    count = uow.signin_throttle.find(Scope.ACCOUNT, keys[Scope.ACCOUNT], for_update=True)
    policy = settings.signin_policies[Scope.ACCOUNT]
    if count is not None and next_attempt_at(count, policy, uow.now):
        return False
    if _password_matches(current.password_hash, password):
        return True
    _record_failures(uow, keys)
    return False


def record_signed_in(uow: UnitOfWork, user: User, *, method: str, **details: object) -> None:
    """A sign-in that succeeded, whatever its method: the method and instant kept for the
    administration page, the journal told."""
    uow.users.record_signin_method(user.id, method=method, now=uow.now)
    journal_auth(uow, "auth.SignedIn", user.name, {"role": user.role, "method": method, **details})


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
