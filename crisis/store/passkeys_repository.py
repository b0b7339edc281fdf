"""Passkeys (WebAuthn credentials) and the challenges of the ceremonies under way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from crisis.store.tables import passkeys, webauthn_challenges
from crisis.store.users_repository import token_digest


@dataclass(frozen=True, slots=True)
class Passkey:
    id: str
    user_id: str
    credential_id: str  # base64url, as the browser gives it
    public_key: str  # base64url of the COSE key
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class PendingChallenge:
    challenge: str  # base64url
    purpose: str  # register, signin, verify
    user_id: str | None


class PasskeyRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, passkey: Passkey) -> None:
        self._conn.execute(
            insert(passkeys).values(
                id=passkey.id,
                user_id=passkey.user_id,
                credential_id=passkey.credential_id,
                public_key=passkey.public_key,
                sign_count=passkey.sign_count,
                name=passkey.name,
                created_at=passkey.created_at,
                last_used_at=passkey.last_used_at,
            )
        )

    def of_user(self, user_id: str) -> list[Passkey]:
        rows = self._conn.execute(
            select(passkeys).where(passkeys.c.user_id == user_id).order_by(passkeys.c.created_at)
        )
        return [Passkey(**row._mapping) for row in rows]

    def by_credential(self, credential_id: str) -> Passkey | None:
        row = self._conn.execute(
            select(passkeys).where(passkeys.c.credential_id == credential_id)
        ).first()
        return None if row is None else Passkey(**row._mapping)

    def record_use(self, passkey_id: str, *, sign_count: int, now: datetime) -> None:
        self._conn.execute(
            update(passkeys)
            .where(passkeys.c.id == passkey_id)
            .values(sign_count=sign_count, last_used_at=now)
        )

    def rename(self, passkey_id: str, name: str) -> None:
        self._conn.execute(update(passkeys).where(passkeys.c.id == passkey_id).values(name=name))

    def counts(self) -> dict[str, int]:
        """User id → how many passkeys (users without any are left out)."""
        rows = self._conn.execute(
            select(passkeys.c.user_id, func.count()).group_by(passkeys.c.user_id)
        )
        return {user_id: count for user_id, count in rows}

    def remove_all_of_user(self, user_id: str) -> int:
        removed = self._conn.execute(delete(passkeys).where(passkeys.c.user_id == user_id))
        return int(removed.rowcount)

    def remove(self, passkey_id: str) -> None:
        self._conn.execute(delete(passkeys).where(passkeys.c.id == passkey_id))

    # -- challenges -------------------------------------------------------------------------

    def add_challenge(
        self,
        *,
        handle: str,
        challenge: str,
        purpose: str,
        user_id: str | None,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        self._conn.execute(
            delete(webauthn_challenges).where(webauthn_challenges.c.expires_at <= now)
        )
        self._conn.execute(
            insert(webauthn_challenges).values(
                id_hash=token_digest(handle),
                challenge=challenge,
                purpose=purpose,
                user_id=user_id,
                expires_at=expires_at,
            )
        )

    def take_challenge(self, handle: str, *, now: datetime) -> PendingChallenge | None:
        """The challenge of this handle, removed as it is read: a challenge serves once."""
        digest = token_digest(handle)
        row = self._conn.execute(
            select(webauthn_challenges).where(webauthn_challenges.c.id_hash == digest)
        ).first()
        if row is None:
            return None
        self._conn.execute(
            delete(webauthn_challenges).where(webauthn_challenges.c.id_hash == digest)
        )
        if row.expires_at <= now:
            return None
        return PendingChallenge(challenge=row.challenge, purpose=row.purpose, user_id=row.user_id)
