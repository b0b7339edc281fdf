"""A claim reads the partial index of the deliveries still due, on both databases.

The done deliveries are not in that index, so a claim costs the same whether the table holds
a thousand rows or a million, nearly all of them delivered. The planner's own account of the
claim query says which index it reads.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from crisis.store.outbox_repository import due_ids_query


def _plan(engine: Engine, channels: list[str]) -> str:
    query = due_ids_query(channels=channels, now=datetime(2026, 11, 29, tzinfo=UTC), limit=100)
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            return "\n".join(str(row[-1]) for row in rows)
        # The tables are nearly empty here: tell PostgreSQL that scanning them whole is not an
        # option, so that the plan shows whether the index can serve the query at all.
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))


def test_a_claim_for_one_channel_reads_the_still_due_index(engine: Engine) -> None:
    plan = _plan(engine, ["telegram_dm"])
    assert "ix_deliveries_still_due" in plan, plan


def test_a_claim_for_several_channels_reads_the_still_due_index(engine: Engine) -> None:
    plan = _plan(engine, ["email", "sms"])
    assert "ix_deliveries_still_due" in plan, plan
