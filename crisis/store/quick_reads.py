"""Single-statement reads for the hottest requests, outside any transaction.

An API read of an event and a console poll ask, most of the time, one question: has anything
changed since the answer I already hold? Each answer is one statement on primary keys; a
unit of work (a pooled connection, its BEGIN and ROLLBACK, nineteen repositories) would cost
many times the statement. So these run on a bare DBAPI connection in autocommit: each
statement is its own read, which sees every transaction committed before it began, by this
process or any other (the `crisis` command, a second API process). Nothing here writes.

On SQLite (a database file, WAL mode) a statement on a primary key takes a few microseconds
and never waits for a writer: `inline` is true and the caller may run it on the event loop,
on a connection of this object's own, opened `query_only`, with a busy timeout of a few
milliseconds; `Unavailable` (the connection is in use by another thread, or the database
answered busy) tells the caller to take its ordinary path instead of waiting. Elsewhere
(PostgreSQL) a statement is a round trip: `inline` is false, the caller runs it in a thread,
on a pooled connection switched to autocommit for that statement.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from crisis.store.markers import Marker, only_these_appended
from crisis.store.tables import web_sessions
from crisis.store.users_repository import token_digest

# How long an inline statement may wait on SQLite's lock before giving up (a WAL reader
# waits only while a checkpoint resets the log, rarely and briefly).
INLINE_BUSY_MILLISECONDS = 5


class Unavailable(Exception):  # noqa: N818
    """The quick read could not run at once: take the ordinary path."""


_SQL = {
    "version": "SELECT version FROM crises WHERE id = {p[0]}",
    "poll": (
        "SELECT ws.expires_at, u.active,"
        " (SELECT max(id) FROM journal), (SELECT sum(seq) FROM journal_heads),"
        " (SELECT count(*) FROM clock_alerts)"
        " FROM web_sessions ws JOIN users u ON u.id = ws.user_id WHERE ws.id_hash = {p[0]}"
    ),
}


def _appended(count: int, placeholder: str) -> str:
    """`Journal.only_appended`'s statement for `count` kinds (placeholders only)."""
    kinds = ", ".join([placeholder] * count)
    return (
        f"SELECT count(*), coalesce(sum(CASE WHEN kind NOT IN ({kinds}) THEN 1 ELSE 0 END), 0),"  # noqa: S608
        " (SELECT coalesce(sum(seq), 0) FROM journal_heads)"
        f" FROM journal WHERE id > {placeholder} AND id <= {placeholder}"
    )


class QuickReads:
    """The quick reads of one engine; one per service (nothing process-wide)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._sqlite = engine.dialect.name == "sqlite"
        self._placeholder = "?" if self._sqlite else "%s"
        self._sql = {name: text.format(p=[self._placeholder]) for name, text in _SQL.items()}
        expires_type = web_sessions.c.expires_at.type.dialect_impl(self._dialect)
        self._expires = expires_type.result_processor(self._dialect, None)
        database = engine.url.database or ""
        self.inline = (
            self._sqlite and database not in ("", ":memory:") and "mode=memory" not in database
        )
        self._own: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if self.inline:
            event.listen(engine, "engine_disposed", self._forget)
        self.statements = 0  # counted for the tests: what a poll or a read cost

    # -- the questions

    def crisis_version(self, crisis_id: str) -> int | None:
        """The event's version (every change to it moves it), None if there is no such event."""
        rows = self._run(self._sql["version"], (crisis_id,))
        return int(rows[0][0]) if rows else None

    def signed_in_marker(self, session_id: str | None, now: datetime) -> Marker | None:
        """The dashboard's change marker (`CrisisRepository.change_marker`) when this cookie
        value is a session, not expired, of an active user; None otherwise. One statement."""
        if not session_id:
            return None
        rows = self._run(self._sql["poll"], (token_digest(session_id),))
        if not rows:
            return None
        expires_raw, active, *marker = rows[0]
        expires = self._expires(expires_raw) if self._expires else expires_raw
        if not active or expires is None or expires <= now:
            return None
        return _marker(marker)

    def only_appended(self, kinds: Collection[str], *, since: Marker, marker: Marker) -> bool:
        """`Journal.only_appended`, as one quick statement."""
        listed = sorted(kinds)
        sql = _appended(len(listed), self._placeholder)
        row = self._run(sql, (*listed, since.last_entry_id, marker.last_entry_id))[0]
        counted = (int(row[0]), int(row[1] or 0), int(row[2] or 0))
        return only_these_appended(counted, since, marker)

    # -- running a statement

    def _run(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        self.statements += 1
        if self.inline:
            return self._run_inline(sql, parameters)
        return self._run_pooled(sql, parameters)

    def _run_inline(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        if not self._lock.acquire(blocking=False):
            raise Unavailable()
        try:
            connection = self._own or self._open()
            try:
                return connection.execute(sql, parameters).fetchall()
            except sqlite3.OperationalError as error:  # busy, locked: not worth the wait
                raise Unavailable() from error
        finally:
            self._lock.release()

    def _open(self) -> sqlite3.Connection:
        # Through the engine, as any of its connections (its options, its PRAGMAs, its
        # `connect` events: what refuses the engine's connections refuses this one), then
        # detached from the pool: it is this object's own until the engine is disposed.
        try:
            pooled = self._engine.raw_connection()
        except DBAPIError as error:
            raise Unavailable() from error
        connection: sqlite3.Connection = pooled.driver_connection  # type: ignore[assignment]
        pooled.detach()
        connection.execute("PRAGMA query_only = ON")
        connection.execute(f"PRAGMA busy_timeout = {INLINE_BUSY_MILLISECONDS}")
        self._own = connection
        return connection

    def _forget(self, *_: Any) -> None:
        """The engine was disposed (a reconnection, a test's outage): so is the connection."""
        with self._lock:
            if self._own is not None:
                self._own.close()
                self._own = None

    def _run_pooled(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        pooled: Any = None
        try:
            pooled = self._engine.raw_connection()
            return self._on(pooled, sql, parameters)
        except self._dialect.loaded_dbapi.OperationalError as error:
            # The server went away: the connection is dropped, and the error is the one a
            # unit of work would have raised (answered 503 by `crisis.api.errors`).
            if pooled is not None:
                pooled.invalidate()
            raise OperationalError(sql, tuple(parameters), error) from error
        finally:
            if pooled is not None:
                pooled.close()

    @staticmethod
    def _on(pooled: Any, sql: str, parameters: Sequence[Any]) -> list[Any]:
        driver: Any = pooled.driver_connection
        autocommit = getattr(driver, "autocommit", None)
        if autocommit is False:
            driver.autocommit = True  # one statement, no BEGIN nor ROLLBACK round trip
        try:
            cursor = pooled.cursor()
            try:
                cursor.execute(sql, tuple(parameters))
                return list(cursor.fetchall())
            finally:
                cursor.close()
        finally:
            if autocommit is False:
                driver.autocommit = False

    def close(self) -> None:
        if event.contains(self._engine, "engine_disposed", self._forget):
            event.remove(self._engine, "engine_disposed", self._forget)
        self._forget()


def _marker(row: Sequence[Any]) -> Marker:
    return Marker(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))
