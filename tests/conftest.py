"""Shared fixtures: a store on SQLite and on PostgreSQL, a clock moved by hand, a service."""

from __future__ import annotations

import gc
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import freezegun
import pytest
from sqlalchemy import Engine, MetaData, Table, create_engine, delete, inspect, text

from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.settings import Settings
from crisis.store.engine import make_engine, normalise_url
from crisis.store.migrate import upgrade

# python-telegram-bot 22 warns when it builds a RetryAfter unless the timedelta behaviour is
# chosen; warnings are errors in this suite, and the channel handles both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")

# pytest times each test through _pytest.timing: a frozen clock there made --durations nonsense.
freezegun.configure(extend_ignore_list=["_pytest.timing"])

POSTGRES_URL_VARIABLE = "CRISIS_TEST_POSTGRES_URL"
REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = REPO_ROOT / "tests" / "data"


# The files that wait longest on real time and real processes (the slowest in `--durations`):
# run first, so that the processes of `make test` end together instead of one of them
# starting a two-minute file when the other has nothing left (LPT scheduling; `--dist loadfile`
# hands out files in the order collected).
LONGEST_FIRST = (
    "tests/integration/ops/test_drills_in_serve.py",
    "tests/integration/ops/test_instances.py",
    "tests/integration/ops/test_template_bomb_process.py",
    "tests/integration/delivery/test_ack_ownership.py",
    "tests/integration/delivery/test_crash.py",
    "tests/browser/test_exercices_pages.py",
    "tests/browser/test_journey.py",
    "tests/browser/test_console_round_two.py",
    "tests/integration/channels/test_smpp.py",
    "tests/browser/test_modeles_pages.py",
    "tests/browser/test_replay_pages.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


# The test process's garbage collector, once everything is imported: the modules, SQLAlchemy's
# tables and pydantic's schemas (about 230,000 objects) are frozen out of its walks, and it runs
# after 50,000 new objects instead of 700. Each application built by a test leaves cycles of
# route objects behind, and the default thresholds walked the whole heap for them again and
# again: 15 % of the processor time of tests/integration/web and api. The service's own
# processes (`crisis serve`, the CLI) keep Python's defaults.
GC_THRESHOLDS = (50_000, 20, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@pytest.fixture(autouse=True)
def _root_log_handlers_restored() -> Iterator[None]:
    """A command run in-process (Typer's runner) installs the service's log handler on the
    runner's stderr, closed once the command returns: later log lines of other tests (a
    server thread's access line) then fail to write. Each test leaves the root logger as it
    found it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


def _postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url and os.environ.get("CI") == "true":
        raise RuntimeError(f"CI must run the PostgreSQL store tests: set {POSTGRES_URL_VARIABLE}")
    return url or None


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[tuple[str, str]]:
    """A schema of its own for this test run, dropped at the end."""
    url = _postgres_url()
    if url is None:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    schema = f"crisis_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield normalise_url(url), schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _make_store(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("store") / "crisis.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
    else:
        url, schema = request.getfixturevalue("postgres_schema_url")
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    return engine


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    engine = _make_store(request.param, request, tmp_path_factory)
    yield engine
    engine.dispose()


# Per store: its table names when last reflected, and its tables in the order they are
# emptied. Reflecting every table before each test cost 0.1 to 0.3 s; the names are one query.
_WIPE_ORDER: dict[tuple[int, str], tuple[frozenset[str], list[Table]]] = {}


def wipe(engine: Engine) -> None:
    names = frozenset(inspect(engine).get_table_names())
    key = (id(engine), str(engine.url))
    known = _WIPE_ORDER.get(key)
    if known is None or known[0] != names:
        reflected = MetaData()
        reflected.reflect(engine)
        order = [t for t in reversed(reflected.sorted_tables) if t.name != "alembic_version"]
        known = _WIPE_ORDER[key] = (names, order)
    with engine.begin() as connection:
        for table in known[1]:
            connection.execute(delete(table))


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    """A migrated, empty store, on each backend in turn."""
    wipe(migrated_engine)
    return migrated_engine


@pytest.fixture
def second_engine(engine: Engine, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Another engine on the same store, as another process (the `crisis` command, a second
    API process) opens it: its own connections, nothing shared with the service's."""
    if engine.dialect.name == "sqlite":
        other = make_engine(engine.url.render_as_string(hide_password=False))
    else:
        url, schema = request.getfixturevalue("postgres_schema_url")
        other = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    yield other
    other.dispose()


@pytest.fixture
def other_process(
    second_engine: Engine, settings: Settings, clock: ManualClock
) -> Iterator[Callable[[], Service]]:
    """Opens a service on `second_engine`, as another process (the `crisis` command, the
    leader) runs one; every service it opened is closed after the test."""
    opened: list[Service] = []

    def open_one() -> Service:
        opened.append(bootstrap(settings=settings, clock=clock, engine=second_engine))
        return opened[-1]

    yield open_one
    for service in opened:
        service.close()


@pytest.fixture
def start_instant() -> datetime:
    return datetime(2026, 11, 28, 21, 15, tzinfo=UTC)


@pytest.fixture
def clock(start_instant: datetime) -> ManualClock:
    return ManualClock(start_instant)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Tests of sending send straight away; the approval workflow's tests ask for approval
    # explicitly (the service's default is approval for every audience).
    return Settings(data_dir=tmp_path, approval_audiences=[])


@pytest.fixture
def service(engine: Engine, clock: ManualClock, settings: Settings) -> Service:
    # The engine belongs to the session fixture: the service is not closed after the test.
    return bootstrap(
        settings=settings, clock=clock, engine=engine, scheduler_mode=SchedulerMode.NONE
    )
