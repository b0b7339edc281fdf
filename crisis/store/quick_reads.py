"""Single-statement reads for the hottest requests, outside any transaction.

An API read of an event and a console poll ask, most of the time, one question: has anything
changed since the answer I already hold? Each answer is one statement on primary keys; a
unit of work (a pooled connection, its BEGIN and ROLLBACK, nineteen repositories) would cost
many times the statement. So these run on a bare DBAPI connection in autocommit: each
statement is its own read, which sees every transaction committed before it began, by this
process or any other (the `crisis` command, a second API process). Nothing here writes.

The questions are asked on the event loop, never in a thread: a hop to the thread pool and a
pooled connection cost three times the statement (measured: 205 µs of CPU against 77 µs on
PostgreSQL), and during a fan-out the pool's threads are busy with the deliveries.

- On SQLite (a database file, WAL mode) a statement on a primary key takes a few microseconds
  and never waits for a writer: it runs inline, on a connection of this object's own, opened
  `query_only`, with a busy timeout of a few milliseconds.
- On PostgreSQL a statement is a round trip: it is awaited on an asynchronous connection of
  the event loop's own, opened by `serving` (the application's lifespan) at the first
  question, with the parameters of the engine's own connections.

`Unavailable` (the connection is in use by another thread, the database answered busy, the
server did not answer, or no connection serves this event loop) tells the caller to take its
ordinary path, a unit of work in a thread, instead of waiting.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

from crisis.store.loop_connection import LoopConnection, NoAnswer
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
        # PostgreSQL: the connection of each event loop served (`serving`).
        self._on_loops: dict[asyncio.AbstractEventLoop, LoopConnection] = {}
        self.statements = 0  # counted for the tests: what a poll or a read cost

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """The quick reads of the running event loop, for as long as the block lasts (an
        application's lifespan): on PostgreSQL, a connection of the loop's own, closed on
        the way out. Without it, every question there is `Unavailable`."""
        loop = asyncio.get_running_loop()
        if self._dialect.name != "postgresql" or loop in self._on_loops:
            yield  # SQLite: inline, or (a database in memory) never quick
            return
        connection = LoopConnection(self._engine)
        self._on_loops[loop] = connection
        try:
            yield
        finally:
            del self._on_loops[loop]
            await connection.close()

    # -- the questions

    async def crisis_version(self, crisis_id: str) -> int | None:
        """The event's version (every change to it moves it), None if there is no such event."""
        rows = await self._run(self._sql["version"], (crisis_id,))
        return int(rows[0][0]) if rows else None

    async def signed_in_marker(self, session_id: str | None, now: datetime) -> Marker | None:
        """The dashboard's change marker (`CrisisRepository.change_marker`) when this cookie
        value is a session, not expired, of an active user; None otherwise. One statement."""
        if not session_id:
            return None
        rows = await self._run(self._sql["poll"], (token_digest(session_id),))
        if not rows:
            return None
        expires_raw, active, *marker = rows[0]
        expires = self._expires(expires_raw) if self._expires else expires_raw
        if not active or expires is None or expires <= now:
            return None
        return _marker(marker)

    async def only_appended(self, kinds: Collection[str], *, since: Marker, marker: Marker) -> bool:
        """`Journal.only_appended`, as one quick statement."""
        listed = sorted(kinds)
        sql = _appended(len(listed), self._placeholder)
        rows = await self._run(sql, (*listed, since.last_entry_id, marker.last_entry_id))
        row = rows[0]
        counted = (int(row[0]), int(row[1] or 0), int(row[2] or 0))
        return only_these_appended(counted, since, marker)

    # -- running a statement

    async def _run(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        if self.inline:
            self.statements += 1
            return self._run_inline(sql, parameters)
        connection = self._on_loops.get(asyncio.get_running_loop())
        if connection is None:
            raise Unavailable()
        self.statements += 1
        try:
            return await connection.fetch(sql, parameters)
        except NoAnswer as error:
            raise Unavailable() from error

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

    def close(self) -> None:
        if event.contains(self._engine, "engine_disposed", self._forget):
            event.remove(self._engine, "engine_disposed", self._forget)
        self._forget()


def _marker(row: Sequence[Any]) -> Marker:
    return Marker(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))
