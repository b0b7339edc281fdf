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
        uow.signin_throttle.clear(Scope.ACCOUNT, keys[Scope.ACCOUNT])
        _journal(uow, "auth.SignedIn", user.name, {"role": user.role, "address": address})
        return SignInOutcome(user, None)
    in_a_row = {}
    for scope, key in keys.items():
        count = counts[scope]
        in_a_row[scope] = (count.current(now) if count is not None else 0) + 1
        uow.signin_throttle.record_failure(scope, key, failures=in_a_row[scope], at=now)
    reason = "wrong_password" if usable else "unknown_user"
    _journal(
        uow,
        "auth.SignInFailed",
        user.name if user is not None else name[:MAX_JOURNALLED_NAME],
        {"reason": reason, "in_a_row": in_a_row[Scope.ACCOUNT], "address": address},
    )
    return SignInOutcome(None, WRONG_CREDENTIALS)


def open_session(uow: UnitOfWork, settings: Settings, user: User) -> tuple[str, WebSession]:
    """A new session (and a new id: one is never reused across sign-ins). The caller commits."""
    session_id = secrets.token_urlsafe(32)
    session = WebSession(
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=uow.now,
        expires_at=uow.now + timedelta(minutes=settings.session_minutes),
    )
    uow.sessions.remove_expired(now=uow.now)
    uow.sessions.add(session_id=session_id, session=session)
    return session_id, session


def close_session(uow: UnitOfWork, session_id: str, user: User) -> None:
    uow.sessions.remove(session_id)
    _journal(uow, "auth.SignedOut", user.name, {})


def _journal(uow: UnitOfWork, kind: str, actor: str, payload: dict[str, object]) -> None:
    uow.journal.append(stream=SYSTEM_STREAM, at=uow.now, actor=actor, kind=kind, payload=payload)
