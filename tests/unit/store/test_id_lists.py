"""Lists of ids: one array parameter on PostgreSQL, an expanded IN elsewhere, any dialect."""

from __future__ import annotations

from sqlalchemy import Dialect, Select, create_engine, select
from sqlalchemy.engine.default import DefaultDialect

from crisis.store.id_lists import among, per_dialect
from crisis.store.tables import deliveries


def _by_ids(dialect: str) -> Select[tuple[str]]:
    return select(deliveries.c.id).where(among(deliveries.c.id, "ids", dialect))


_BY_IDS = per_dialect(_by_ids)


def _dialect(url: str) -> Dialect:
    return create_engine(url).dialect  # no connection is made


def test_postgresql_takes_the_list_as_one_array_whatever_its_length() -> None:
    compiled = _BY_IDS["postgresql"].compile(dialect=_dialect("postgresql+psycopg://"))
    assert "= ANY (%(ids)s::VARCHAR[])" in str(compiled)
    for count in (1, 100):
        params = compiled.construct_params({"ids": [f"d-{i}" for i in range(count)]})
        assert len(params) == 1


def test_sqlite_expands_the_list() -> None:
    compiled = _BY_IDS["sqlite"].compile(dialect=_dialect("sqlite://"))
    assert "IN (__[POSTCOMPILE_ids])" in str(compiled)


def test_another_database_gets_the_portable_form_built_once() -> None:
    other = DefaultDialect()  # SQLAlchemy's generic dialect stands for any other database
    first = _BY_IDS[other.name]
    assert first is _BY_IDS[other.name]
    assert "IN (__[POSTCOMPILE_ids])" in str(first.compile(dialect=other))
