"""Signed-in console sessions, found by a SHA-256 of the cookie's value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from crisis.store.tables import web_sessions
from crisis.store.users_repository import token_digest


@dataclass(frozen=True, slots=True)
class WebSession:
    user_id: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime


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
        return WebSession(row.user_id, row.csrf_token, row.created_at, row.expires_at)

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
