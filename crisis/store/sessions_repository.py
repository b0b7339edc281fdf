"""Signed-in console sessions, found by a SHA-256 of the cookie's value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from crisis.store.tables import web_sessions
from crisis.store.users_repository import token_digest


@dataclass(frozen=True, slots=True)
class WebSession:
    user_id: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    method: str = "password"  # or "proconnect"
    acr: str | None = None  # the assurance level the identity provider stated
    id_token: str | None = field(default=None, repr=False)  # for the provider's logout
    verified_at: datetime | None = None  # the last step-up verification
    verified_method: str | None = None


class SessionRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, *, session_id: str, session: WebSession) -> None:
        self._conn.execute(
            insert(web_sessions).values(
                id_hash=token_digest(session_id),
                user_id=session.user_id,
                csrf_token=session.csrf_token,
                created_at=session.created_at,
                expires_at=session.expires_at,
                method=session.method,
                acr=session.acr,
                id_token=session.id_token,
                verified_at=session.verified_at,
                verified_method=session.verified_method,
            )
        )

    def find(self, session_id: str, *, now: datetime) -> WebSession | None:
        row = self._conn.execute(
            select(web_sessions).where(
                web_sessions.c.id_hash == token_digest(session_id),
                web_sessions.c.expires_at > now,
            )
        ).first()
        if row is None:
            return None
        return WebSession(
            row.user_id,
            row.csrf_token,
            row.created_at,
            row.expires_at,
            method=row.method,
            acr=row.acr,
            id_token=row.id_token,
            verified_at=row.verified_at,
            verified_method=row.verified_method,
        )

    def remove(self, session_id: str) -> None:
        self._conn.execute(
            delete(web_sessions).where(web_sessions.c.id_hash == token_digest(session_id))
        )

    def remove_of_user(self, user_id: str, *, keep: str | None = None) -> int:
        """End the user's sessions (but `keep`, the one making the change): how many ended."""
        query = delete(web_sessions).where(web_sessions.c.user_id == user_id)
        if keep is not None:
            query = query.where(web_sessions.c.id_hash != token_digest(keep))
        return self._conn.execute(query).rowcount

    def remove_expired(self, *, now: datetime) -> None:
        self._conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))

    def remove_for_user(self, user_id: str, *, method: str) -> None:
        self._conn.execute(
            delete(web_sessions).where(
                web_sessions.c.user_id == user_id, web_sessions.c.method == method
            )
        )

    def record_verification(self, session_id: str, *, method: str, now: datetime) -> None:
        self._conn.execute(
            update(web_sessions)
            .where(web_sessions.c.id_hash == token_digest(session_id))
            .values(verified_at=now, verified_method=method)
        )
