"""The migrations create exactly the tables the code declares, on both databases."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, create_engine, inspect, text

from crisis.clock import PARIS
from crisis.services.recurrence import Recurrence, RuleKind
from crisis.store.engine import make_engine
from crisis.store.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    include_name,
    upgrade,
)
from crisis.store.tables import metadata


def test_database_is_at_the_head_revision(engine: Engine) -> None:
    head = head_revision(engine)
    assert head is not None
    assert current_revision(engine) == head
    # The constant every command checks first: a new migration must be named there too.
    assert head == HEAD_REVISION


def test_a_store_at_the_head_is_opened_without_loading_alembic(tmp_path: Path) -> None:
    """A CLI command checks the store's revision itself; Alembic (0.1 s of a command's
    start) is loaded only to migrate."""
    database = tmp_path / "crisis.sqlite3"
    upgrade(make_engine(f"sqlite:///{database}"))
    script = (
        "import sys; from crisis.store.engine import make_engine; "
        "from crisis.store.migrate import upgrade; "
        f"upgrade(make_engine('sqlite:///{database}')); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"


def test_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        assert compare_metadata(context, metadata) == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (a new schema on PostgreSQL), migrated by the test."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield engine
        engine.dispose()
        return
    url, _ = request.getfixturevalue("postgres_schema_url")
    schema = f"crisis_mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_contacts_known_before_0010_are_active_and_0010_goes_back(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0009")
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with fresh_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contacts (id, key, name, category, exercise, created_at, updated_at)"
                " VALUES ('c1', 'nom:elu|a|', 'A', 'elu', :no, :now, :now)"
            ),
            {"no": False, "now": now.isoformat() if fresh_engine.dialect.name == "sqlite" else now},
        )
    upgrade(fresh_engine, "0010")
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT active FROM contacts")).scalar_one() in (True, 1)
    _downgrade(fresh_engine, "0009")
    assert "active" not in _columns(fresh_engine, "contacts")
    upgrade(fresh_engine)
    assert "active" in _columns(fresh_engine, "contacts")
    assert current_revision(fresh_engine) == head_revision(fresh_engine)


def test_instances_upgrading_together_take_turns(fresh_engine: Engine) -> None:
    """Several containers started together each run `crisis db upgrade`: on PostgreSQL one
    migrates while the others wait, then find the store at the head (SQLite has one writer)."""
    barrier = threading.Barrier(3)
    failures: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            upgrade(fresh_engine)
        except BaseException as error:  # the test reports any, whatever its kind
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert current_revision(fresh_engine) == head_revision(fresh_engine)


# Programme entries written when APScheduler read cron rules (0 = Monday, both day fields to
# match), with the days they gave then.
OLD_CRON_RULES = {
    "dimanche-nuit": "30 2 * * 6",  # Sundays at 02:30: meets both nights of change
    "lundi-nuit": "30 2 * * 0",  # the example: Mondays, not Sundays
    "mardi": "0 10 * * 1",
    "semaine": "0 10 * * 0-4",
    "fin-de-semaine": "0 10 * * 4-6",
    "un-jour-sur-deux": "0 10 * * */2",
    "pas": "0 10 * * 1-5/2",
    "noms": "0 10 * * MON-wed,fri",
    "premier-mardi": "0 10 1-7 * tue",
    "premier-mercredi": "0 10 1-7 * 2",
    "dernier-jour": "0 10 last * *",
    "dernier-vendredi": "15 9 last * 4",
    "janvier-juillet": "0 10 * jan,jul 0",
    "le-5": "0 10 5-5 * *",
}
SCHEDULES_START = datetime(2026, 9, 1, tzinfo=UTC)
SCHEDULES_END = datetime(2028, 9, 1, tzinfo=UTC)


def _as_apscheduler_read_it(rule: str) -> list[datetime]:
    """The occurrences the code before 0013 gave (APScheduler on Paris time), less the second
    instance of a wall time that happens twice: that code fired it twice, against the rule
    recurrence.py documents (its first instance), which the code after 0013 keeps."""
    trigger = CronTrigger.from_crontab(rule, timezone=PARIS)
    occurrences: list[datetime] = []
    previous, now = None, SCHEDULES_START.astimezone(PARIS)
    while (found := trigger.get_next_fire_time(previous, now)) <= SCHEDULES_END:
        wall = found.replace(tzinfo=None)
        if not occurrences or occurrences[-1].astimezone(PARIS).replace(tzinfo=None) != wall:
            occurrences.append(found.astimezone(UTC))
        # Stepped in UTC: a second added to a Paris wall time of the autumn night loses its fold.
        previous, now = found, found.astimezone(UTC) + timedelta(seconds=1)
    return occurrences


def _occurrences(kind: str, rule: str) -> list[datetime]:
    recurrence = Recurrence(RuleKind(kind), rule, SCHEDULES_START)
    return list(recurrence.between(SCHEDULES_START - timedelta(microseconds=1), SCHEDULES_END))


def _stored_rules(engine: Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, rule_kind, rule FROM drill_schedules")).all()
    return {str(row[0]): (str(row[1]), str(row[2])) for row in rows}


def test_0013_keeps_the_days_of_programme_entries(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0012")
    stamp = (
        SCHEDULES_START.isoformat() if fresh_engine.dialect.name == "sqlite" else SCHEDULES_START
    )
    with fresh_engine.begin() as connection:
        for schedule_id, rule in [*OLD_CRON_RULES.items(), ("rrule", "FREQ=WEEKLY;BYDAY=TU")]:
            connection.execute(
                text(
                    "INSERT INTO drill_schedules (id, name, scenario, scenario_title, rule_kind,"
                    " rule, starts_at, notice_days, mode, created_by, created_at) VALUES (:id,"
                    " :id, 'crue-seine', 'Crue', :kind, :rule, :at, 7, 'unattended', 'x', :at)"
                ),
                {
                    "id": schedule_id,
                    "kind": "rrule" if schedule_id == "rrule" else "cron",
                    "rule": rule,
                    "at": stamp,
                },
            )
    before = {name: _as_apscheduler_read_it(rule) for name, rule in OLD_CRON_RULES.items()}

    upgrade(fresh_engine)
    stored = _stored_rules(fresh_engine)
    for name, days in before.items():
        assert days, name
        assert _occurrences(*stored[name]) == days, (name, stored[name])
    assert stored["lundi-nuit"] == ("cron", "30 2 * * 1")
    assert stored["dimanche-nuit"] == ("cron", "30 2 * * 0")
    assert stored["semaine"] == ("cron", "0 10 * * 1-5")
    assert stored["fin-de-semaine"] == ("cron", "0 10 * * 5-7")
    assert stored["noms"] == ("cron", "0 10 * * mon-wed,fri")  # names meant the same days
    assert stored["le-5"] == ("cron", "0 10 5 * *")
    assert stored["premier-mardi"] == (
        "rrule",
        "FREQ=DAILY;BYMONTHDAY=1,2,3,4,5,6,7;BYDAY=TU;BYHOUR=10;BYMINUTE=0",
    )
    assert stored["rrule"] == ("rrule", "FREQ=WEEKLY;BYDAY=TU")

    _downgrade(fresh_engine, "0012")
    for name, (kind, rule) in _stored_rules(fresh_engine).items():
        if kind == "cron":
            assert _as_apscheduler_read_it(rule) == before[name], name
    upgrade(fresh_engine)  # there and back again: the spelling may change, not the days
    for name, (kind, rule) in _stored_rules(fresh_engine).items():
        if name in before:
            assert _occurrences(kind, rule) == before[name], name


def test_0013_goes_back_only_when_apscheduler_can_read_every_rule(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    stamp = (
        SCHEDULES_START.isoformat() if fresh_engine.dialect.name == "sqlite" else SCHEDULES_START
    )
    with fresh_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO drill_schedules (id, name, scenario, scenario_title, rule_kind, rule,"
                " starts_at, notice_days, mode, created_by, created_at) VALUES ('e', 'Le 13 ou"
                " vendredi', 'crue-seine', 'Crue', 'cron', '0 10 13 * fri', :at, 7,"
                " 'unattended', 'x', :at)"
            ),
            {"at": stamp},
        )
    with pytest.raises(RuntimeError, match="« Le 13 ou vendredi »"):
        _downgrade(fresh_engine, "0012")
    assert current_revision(fresh_engine) == HEAD_REVISION
