"""Statements that take a list of ids, built once per database dialect.

A list of ids is one array parameter on PostgreSQL (`= ANY(:ids)`): the statement's text is
the same whatever the length, so psycopg parses it once and the server can prepare it. An
expanded `IN (?, ?, …)` there renders and parses a hundred placeholders per batch of the
dispatcher. SQLite has no arrays: the list is expanded there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam

_S = TypeVar("_S")
DIALECTS = ("sqlite", "postgresql")


def among(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the ids given as the parameter `name` (a list)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(String())))
    return column.in_(bindparam(name, expanding=True))


class _PerDialect(dict[str, _S]):
    def __init__(self, build: Callable[[str], _S]) -> None:
        super().__init__((dialect, build(dialect)) for dialect in DIALECTS)
        self._build = build

    def __missing__(self, dialect: str) -> _S:
        # Another database (any SQLAlchemy URL is accepted): the portable form, built once.
        statement = self[dialect] = self._build(dialect)
        return statement


def per_dialect(build: Callable[[str], _S]) -> Mapping[str, _S]:
    """One statement per dialect, built now; pick with `connection.dialect.name`."""
    return _PerDialect(build)
