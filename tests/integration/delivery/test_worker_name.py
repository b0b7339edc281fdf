"""One live dispatcher per worker name and database: a dispatcher hands back, as it starts,
the deliveries its name holds, which must never be those a live one is sending."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from crisis.bootstrap import bootstrap
from crisis.clock import ManualClock
from crisis.dispatching import WorkerNameTakenError, hold_worker_name
from crisis.settings import Settings
from tests.database_outage import database_down


def test_a_second_dispatcher_under_a_live_one_s_name_is_refused(
    engine: Engine, clock: ManualClock, settings: Settings
) -> None:
    first = bootstrap(settings=settings, clock=clock, engine=engine, run_dispatcher=True)
    try:
        with pytest.raises(WorkerNameTakenError) as refused:
            bootstrap(settings=settings, clock=clock, engine=engine, run_dispatcher=True)
        assert str(refused.value) == (
            "Un répartiteur nommé « dispatcher-1 » tourne déjà sur cette base : arrêtez-le, ou "
            "donnez à celui-ci un autre nom (CRISIS_WORKER_NAME, ou --name pour crisis worker)."
        )
        other_name = settings.model_copy(update={"worker_name": "dispatcher-2"})
        bootstrap(settings=other_name, clock=clock, engine=engine, run_dispatcher=True).close()
    finally:
        first.close()
    # Stopped (or dead: the lock goes with its process or connection), the name is free again.
    bootstrap(settings=settings, clock=clock, engine=engine, run_dispatcher=True).close()


def test_the_database_away_is_not_a_name_taken(engine: Engine) -> None:
    """On PostgreSQL the name's lock lives in the database: unreachable, it cannot be asked for,
    and the answer is the database's error, not « tourne déjà »."""
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite the name's lock is a file: the database is not asked")
    with database_down(engine), pytest.raises(OperationalError):
        hold_worker_name(engine, "essai")
    hold_worker_name(engine, "essai").release()  # back: the name is free
