"""An event loop's own PostgreSQL connection, for the quick reads (`crisis.store.quick_reads`).

Asynchronous (psycopg's `AsyncConnection`), in autocommit: a statement is awaited on the
event loop that serves the requests, without a hop to the thread pool nor a pooled
connection. It belongs to that one loop and is closed by it (`close`, from the application's
lifespan).

It is opened at the first statement, with the parameters of a connection the engine itself
opened (its URL, its `connect_args`: a test's schema, the TLS options): what refuses the
engine's connections refuses this one. It is dropped, and opened again at the next statement,
when the server does not answer, and when the engine is disposed (a reconnection, a test's
outage). A statement or an opening that fails or takes longer than `TIMEOUT_SECONDS` raises
`NoAnswer`: the caller takes its ordinary path, a unit of work in a thread, which says what
is wrong if something is.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    import psycopg

# Far above a statement on primary keys (a millisecond): only a server in trouble waits this.
TIMEOUT_SECONDS = 2.0


class NoAnswer(Exception):  # noqa: N818 - not an error of the caller's: a path to avoid
    """The statement did not run, or not in time."""


class LoopConnection:
    """The connection of one event loop; `fetch` and `close` are called on that loop only."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._opening = asyncio.Lock()
        # Disposals of the engine seen, and the count when the connection was opened.
        self._disposals = 0
        self._opened_after = 0
        event.listen(engine, "engine_disposed", self._disposed)

    async def fetch(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        connection = await self._current()
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                cursor = await connection.execute(sql, tuple(parameters))
                return await cursor.fetchall()
        except (OSError, TimeoutError, _driver_errors()) as error:
            await self._drop()
            raise NoAnswer(str(error)) from error

    async def close(self) -> None:
        if event.contains(self._engine, "engine_disposed", self._disposed):
            event.remove(self._engine, "engine_disposed", self._disposed)
        await self._drop()

    async def _current(self) -> psycopg.AsyncConnection[Any]:
        connection = self._connection
        if connection is not None and not connection.closed and not self._stale():
            return connection
        async with self._opening:
            if self._stale() or (self._connection is not None and self._connection.closed):
                await self._drop()
            if self._connection is None:
                self._connection = await self._open()
            return self._connection

    def _stale(self) -> bool:
        return self._opened_after != self._disposals

    async def _open(self) -> psycopg.AsyncConnection[Any]:
        import psycopg  # only a PostgreSQL service needs the driver

        disposals = self._disposals
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                dsn, password = await asyncio.to_thread(self._parameters)
                connection = await psycopg.AsyncConnection.connect(
                    dsn, password=password, autocommit=True, application_name=application_name()
                )
        except (OSError, TimeoutError, DBAPIError, psycopg.Error) as error:
            raise NoAnswer(str(error)) from error
        self._opened_after = disposals
        return connection

    def _parameters(self) -> tuple[str, str | None]:
        """In a thread: the connection string (without the password) and the password of a
        connection the engine opens, or takes from its pool."""
        pooled = self._engine.raw_connection()
        try:
            info = pooled.driver_connection.info  # type: ignore[union-attr]
            return str(info.dsn), info.password
        finally:
            pooled.close()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.closed:
            try:
                await connection.close()
            except (OSError, _driver_errors()):
                pass  # already broken: nothing left to close cleanly

    def _disposed(self, *_: Any) -> None:
        self._disposals += 1


def application_name() -> str:
    """How the connection shows in `pg_stat_activity` (one per process and event loop)."""
    return f"crisis lectures rapides {os.getpid()}"


def _driver_errors() -> type[Exception]:
    import psycopg

    return psycopg.Error
