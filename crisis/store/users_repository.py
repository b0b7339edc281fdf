"""Users, their bearer tokens and their console passwords.

Only a SHA-256 of each token and an Argon2 hash of each password are stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from crisis.store.tables import users


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    role: str
    created_at: datetime
    active: bool
    password_hash: str | None = None
    email: str | None = None
    oidc_issuer: str | None = None
    oidc_subject: str | None = None
    oidc_bound_at: datetime | None = None
    last_signin_at: datetime | None = None
    last_signin_method: str | None = None


def token_digest(token: str) -> str:
    # Tokens are 256-bit random values, so a plain SHA-256 is enough (no dictionary to fear).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: Any) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        active=row.active,
        password_hash=row.password_hash,
        email=row.email,
        oidc_issuer=row.oidc_issuer,
        oidc_subject=row.oidc_subject,
        oidc_bound_at=row.oidc_bound_at,
        last_signin_at=row.last_signin_at,
        last_signin_method=row.last_signin_method,
    )


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(
        self,
        *,
        user_id: str,
        name: str,
        role: str,
        token: str,
        now: datetime,
        password_hash: str | None = None,
        email: str | None = None,
    ) -> User:
        self._conn.execute(
            insert(users).values(
                id=user_id,
                name=name,
                role=role,
                token_hash=token_digest(token),
                created_at=now,
                active=True,
                password_hash=password_hash,
                email=email,
            )
        )
        return User(
            id=user_id,
            name=name,
            role=role,
            created_at=now,
            active=True,
            password_hash=password_hash,
            email=email,
        )

    def by_name(self, name: str, *, for_update: bool = False) -> User | None:
        query = select(users).where(users.c.name == name)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return None if row is None else _user(row)

    def by_email(self, email: str) -> User | None:
        """Addresses are stored lower-cased: the match ignores case."""
        row = self._conn.execute(select(users).where(users.c.email == email.lower())).first()
        return None if row is None else _user(row)

    def by_subject(self, issuer: str, subject: str) -> User | None:
        row = self._conn.execute(
            select(users).where(users.c.oidc_issuer == issuer, users.c.oidc_subject == subject)
        ).first()
        return None if row is None else _user(row)

    def by_id(self, user_id: str) -> User | None:
        row = self._conn.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def by_digest(self, digest: str) -> User | None:
        row = self._conn.execute(
            select(users).where(users.c.token_hash == digest, users.c.active.is_(True))
        ).first()
        return None if row is None else _user(row)

    def all(self) -> list[User]:
        rows = self._conn.execute(select(users).order_by(users.c.name))
        return [_user(r) for r in rows]

    def set_password(self, user_id: str, password_hash: str) -> None:
        self._conn.execute(
            update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        )

    def set_role(self, user_id: str, role: str) -> None:
        self._conn.execute(update(users).where(users.c.id == user_id).values(role=role))

    def set_token(self, user_id: str, token: str) -> None:
        self._conn.execute(
            update(users).where(users.c.id == user_id).values(token_hash=token_digest(token))
        )

    def set_active(self, user_id: str, active: bool) -> None:
        self._conn.execute(update(users).where(users.c.id == user_id).values(active=active))

    def set_email(self, user_id: str, email: str | None) -> None:
        self._conn.execute(update(users).where(users.c.id == user_id).values(email=email))

    def bind_subject(self, user_id: str, *, issuer: str, subject: str, now: datetime) -> None:
        self._conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(oidc_issuer=issuer, oidc_subject=subject, oidc_bound_at=now)
        )

    def unbind_subject(self, user_id: str) -> None:
        self._conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(oidc_issuer=None, oidc_subject=None, oidc_bound_at=None)
        )

    def record_signin_method(self, user_id: str, *, method: str, now: datetime) -> None:
        self._conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(last_signin_at=now, last_signin_method=method)
        )
