"""The database stops answering, as the service sees it when its server goes away."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def database_down(engine: Engine) -> Iterator[None]:
    """Every new connection refused by the driver itself, and no pooled one left; the pool is
    emptied again on the way out, so the service reconnects as it would to a restarted server."""

    def refuse(*_: Any) -> None:
        raise engine.dialect.loaded_dbapi.OperationalError("connection refused (test)")

    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)
        engine.dispose()
