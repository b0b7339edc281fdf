"""Quick reads outside a served event loop, and on a database in memory: never an error, only
`Unavailable` (the caller then reads through a unit of work)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import create_engine

from crisis.store.quick_reads import QuickReads, Unavailable


def test_a_database_in_memory_is_never_read_quickly_even_while_served() -> None:
    engine = create_engine("sqlite://")
    quick = QuickReads(engine)

    async def ask() -> None:
        async with quick.serving():
            with pytest.raises(Unavailable):
                await quick.crisis_version("inconnu")

    try:
        asyncio.run(ask())
        assert quick.statements == 0
    finally:
        quick.close()
        engine.dispose()


def test_a_postgresql_question_outside_a_served_loop_is_unavailable() -> None:
    # No connection is made: the URL's server is never asked.
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/absent")
    quick = QuickReads(engine)
    try:
        with pytest.raises(Unavailable):
            asyncio.run(quick.crisis_version("inconnu"))
        assert quick.statements == 0
    finally:
        quick.close()
        engine.dispose()
