"""The failed sign-ins in a row, per name typed and per address (crisis.domain.signin_throttle)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from crisis.domain.signin_throttle import FailureCount, Scope
from crisis.store.tables import signin_failures


def _count(row: Any) -> FailureCount:
    return FailureCount(
        scope=Scope(row.scope),
        key=row.key,
        failures=row.failures,
        last_failure_at=row.last_failure_at,
        refused_early=row.refused_early,
    )


class SigninThrottleRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def find(self, scope: Scope, key: str, *, for_update: bool = False) -> FailureCount | None:
        query = select(signin_failures).where(
            signin_failures.c.scope == scope.value, signin_failures.c.key == key
        )
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return None if row is None else _count(row)

    def record_failure(self, scope: Scope, key: str, *, failures: int, at: datetime) -> None:
        """Set the count of failures in a row (the caller read the previous one)."""
        values = {"failures": failures, "last_failure_at": at}
        if self._update(scope, key, values):
            return
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(signin_failures).values(
                        scope=scope.value, key=key, refused_early=0, **values
                    )
                )
        except IntegrityError:
            # A concurrent failure on the same key inserted first: count on its row.
            self._conn.execute(
                update(signin_failures)
                .where(signin_failures.c.scope == scope.value, signin_failures.c.key == key)
                .values(failures=signin_failures.c.failures + 1, last_failure_at=at)
            )

    def record_refused_early(self, scope: Scope, key: str) -> None:
        self._conn.execute(
            update(signin_failures)
            .where(signin_failures.c.scope == scope.value, signin_failures.c.key == key)
            .values(refused_early=signin_failures.c.refused_early + 1)
        )

    def _update(self, scope: Scope, key: str, values: dict[str, Any]) -> bool:
        result = self._conn.execute(
            update(signin_failures)
            .where(signin_failures.c.scope == scope.value, signin_failures.c.key == key)
            .values(**values)
        )
        return result.rowcount == 1

    def clear(self, scope: Scope, key: str) -> bool:
        result = self._conn.execute(
            delete(signin_failures).where(
                signin_failures.c.scope == scope.value, signin_failures.c.key == key
            )
        )
        return result.rowcount > 0

    def recent(self, *, since: datetime, limit: int = 50) -> list[FailureCount]:
        """The counts with a failure since `since`, the latest first: the administrator's view."""
        query = (
            select(signin_failures)
            .where(signin_failures.c.last_failure_at >= since)
            .order_by(signin_failures.c.last_failure_at.desc())
            .limit(limit)
        )
        return [_count(row) for row in self._conn.execute(query)]
