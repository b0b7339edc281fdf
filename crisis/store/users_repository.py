"""Users and their bearer tokens. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from crisis.store.tables import users


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    role: str
    created_at: datetime
    active: bool


def token_digest(token: str) -> str:
    # Tokens are 256-bit random values, so a plain SHA-256 is enough (no dictionary to fear).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, *, user_id: str, name: str, role: str, token: str, now: datetime) -> User:
        self._conn.execute(
            insert(users).values(
                id=user_id,
                name=name,
                role=role,
                token_hash=token_digest(token),
                created_at=now,
                active=True,
            )
        )
        return User(id=user_id, name=name, role=role, created_at=now, active=True)

    def by_name(self, name: str) -> User | None:
        row = self._conn.execute(select(users).where(users.c.name == name)).first()
        return None if row is None else User(row.id, row.name, row.role, row.created_at, row.active)

    def by_digest(self, digest: str) -> User | None:
        row = self._conn.execute(
            select(users).where(users.c.token_hash == digest, users.c.active.is_(True))
        ).first()
        return None if row is None else User(row.id, row.name, row.role, row.created_at, row.active)

    def all(self) -> list[User]:
        rows = self._conn.execute(select(users).order_by(users.c.name))
        return [User(r.id, r.name, r.role, r.created_at, r.active) for r in rows]
