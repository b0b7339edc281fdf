"""Sign-ins under way at the identity provider, found by a SHA-256 of their `state`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from crisis.store.tables import oidc_logins
from crisis.store.users_repository import token_digest


@dataclass(frozen=True, slots=True)
class PendingLogin:
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    next_path: str
    created_at: datetime
    expires_at: datetime


class OidcLoginRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, *, state: str, login: PendingLogin) -> None:
        self._conn.execute(
            insert(oidc_logins).values(
                state_hash=token_digest(state),
                nonce=login.nonce,
                code_verifier=login.code_verifier,
                next_path=login.next_path,
                created_at=login.created_at,
                expires_at=login.expires_at,
            )
        )

    def take(self, state: str, *, now: datetime) -> PendingLogin | None:
        """The sign-in of this `state`, removed as it is read: a state serves once."""
        digest = token_digest(state)
        row = self._conn.execute(
            select(oidc_logins).where(oidc_logins.c.state_hash == digest).with_for_update()
        ).first()
        if row is None:
            return None
        self._conn.execute(delete(oidc_logins).where(oidc_logins.c.state_hash == digest))
        if row.expires_at <= now:
            return None
        return PendingLogin(
            nonce=row.nonce,
            code_verifier=row.code_verifier,
            next_path=row.next_path,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    def remove_expired(self, *, now: datetime) -> None:
        self._conn.execute(delete(oidc_logins).where(oidc_logins.c.expires_at <= now))
