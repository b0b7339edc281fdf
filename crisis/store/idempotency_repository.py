"""Answers already given, by (user, Idempotency-Key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from crisis.store.tables import idempotency_keys


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    fingerprint: str
    status_code: int
    body: str


class IdempotencyRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def find(self, *, user_id: str, key: str) -> StoredAnswer | None:
        row = self._conn.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key
            )
        ).first()
        return None if row is None else StoredAnswer(row.fingerprint, row.status_code, row.body)

    def store(self, *, user_id: str, key: str, answer: StoredAnswer, now: datetime) -> None:
        self._conn.execute(
            insert(idempotency_keys).values(
                user_id=user_id,
                key=key,
                fingerprint=answer.fingerprint,
                status_code=answer.status_code,
                body=answer.body,
                created_at=now,
            )
        )
