"""What every `crisis …` command shares: the service on the configured database, French
errors with their exit codes, the local operator, JSON output, instants typed by hand.

Light to import: every command module imports it, and `crisis … --help` must not pay for
the service (SQLAlchemy, pydantic-settings, the command handlers). Those load when a command
runs, in the functions below that need them.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.exc import OperationalError

    from crisis.bootstrap import SchedulerMode, Service
    from crisis.services.context import Actor
    from crisis.settings import Settings
    from crisis.store.crises_repository import CrisisRepository

# The same exit codes for every `crisis …` command (the README lists them).
EXIT_OK = 0
EXIT_FAILURE = 1  # the command ran and says no: a broken chain, a channel down, a missed target
EXIT_INVALID = 2  # bad input or configuration: nothing was changed
EXIT_CONFLICT = 3  # refused by the current state (activating twice, approving one's own message)
EXIT_NOT_FOUND = 4  # no such event, message, member…
EXIT_UNAVAILABLE = 5  # the database did not answer
EXIT_BROKEN_CHAIN = 6  # a document was written, but a journal chain it reads is broken

JsonOption = Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Qui agit (par défaut : vous).")]
CrisisArgument = Annotated[
    str, typer.Argument(help="Identifiant de l'événement (voir crisis list).", show_default=False)
]
DraftArgument = Annotated[
    str, typer.Argument(help="Identifiant du message préparé (voir crisis messages list).")
]


def fail(message: str, code: int) -> NoReturn:
    typer.echo(f"Erreur : {message}", err=True)
    raise typer.Exit(code)


def database_unreachable(error: OperationalError, database_url: str) -> str:
    """The database refused or dropped the connection: where it was sought (no password), the
    driver's own first line, and what to check."""
    from sqlalchemy.engine import make_url

    where = make_url(database_url).render_as_string(hide_password=True)
    reason = str(error.orig if error.orig is not None else error).strip()
    first_line = reason.splitlines()[0] if reason else type(error).__name__
    return (
        f"la base de données ne répond pas ({where}) : {first_line}. Vérifiez qu'elle tourne et "
        "le réglage CRISIS_DATABASE_URL, puis relancez la commande."
    )


def database_place(settings: Settings) -> str:
    """Where the database is, as a person looks for it: a SQLite database's file, or the
    configured URL without its password."""
    from sqlalchemy.engine import make_url

    from crisis.store.presence import sqlite_file

    url = settings.resolved_database_url
    path = sqlite_file(url)
    if path is not None:
        return str(path.resolve())
    return make_url(url).render_as_string(hide_password=True)


def print_json(data: Any) -> None:
    from crisis.jsonable import to_jsonable

    typer.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2))


def local_actor(by: str | None) -> Actor:
    from crisis.services.context import Actor

    # Whoever can run the CLI can read the database: a trusted local operator.
    return Actor(name=(by or getpass.getuser()).strip() or "opérateur", role="local")


def parse_instant(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        fail(
            f"{field} : date et heure invalides (ISO 8601 attendu, ex. 2026-11-28T22:15:00+01:00)",
            EXIT_INVALID,
        )
    if instant.tzinfo is None:
        fail(f"{field} : le décalage horaire est obligatoire (ex. +01:00 ou Z)", EXIT_INVALID)
    from crisis.domain.era import check_instant
    from crisis.domain.errors import InvalidInput

    try:
        return check_instant(field, instant)
    except InvalidInput as error:
        fail(f"{field} : {error.message}", EXIT_INVALID)


def settings_or_fail() -> Settings:
    """The settings; a wrong one ends the command with a French line. The process's logging
    is set up after them (`serve` and `worker` set it up again, more talkative)."""
    from crisis.ops.logs import configure_process_logging
    from crisis.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as error:
        fail(str(error), EXIT_INVALID)
    configure_process_logging(settings, default_level="WARNING")
    return settings


def existing_engine(settings: Settings, *, with_schema: bool = True) -> Engine:
    """The configured database, which must exist already: a command never creates one by
    accident (run from another folder, say). `crisis db upgrade` and `crisis demo` create it.
    `with_schema=False`: a SQLite file that exists is enough, and nothing is connected to
    (`crisis backup` only names pg_dump's command for PostgreSQL)."""
    from crisis.store.engine import open_engine
    from crisis.store.presence import file_is_missing, has_schema

    advice = (
        "Créez-la avec « crisis db upgrade » (ou « crisis demo » pour une démonstration), ou "
        "indiquez la vôtre (CRISIS_DATA_DIR ou CRISIS_DATABASE_URL)."
    )
    if file_is_missing(settings.resolved_database_url):
        missing = f"pas de base de données ici : {database_place(settings)} n'existe pas."
        fail(f"{missing} {advice}", EXIT_NOT_FOUND)
    engine = open_engine(settings)
    if with_schema and not has_schema(engine):
        engine.dispose()
        fail(f"la base de données {database_place(settings)} est vide. {advice}", EXIT_NOT_FOUND)
    return engine


@contextmanager
def french_domain_errors() -> Iterator[None]:
    """A refusal of the domain becomes its French sentence and its exit code."""
    from crisis.domain.contacts import InvalidContacts
    from crisis.domain.errors import Conflict, DomainError, InvalidInput, NotFound

    try:
        yield
    except InvalidContacts as error:
        for problem in error.problems:
            typer.echo(f"Erreur : {problem}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    except InvalidInput as error:
        fail(f"{error.field} : {error.message}", EXIT_INVALID)
    except Conflict as error:
        fail(error.message, EXIT_CONFLICT)
    except NotFound as error:
        fail(error.message, EXIT_NOT_FOUND)
    except DomainError as error:
        fail(error.message, EXIT_INVALID)


@contextmanager
def reading_crises() -> Iterator[CrisisRepository]:
    """The events, read on a read-only transaction without the service: what `status` and
    `list` need, without building channels, bus or metrics (nor importing them)."""
    from crisis.clock import SystemClock
    from crisis.store.crises_repository import CrisisRepository
    from crisis.store.engine import READ_OPTIONS
    from crisis.store.migrate import upgrade

    engine = existing_engine(settings_or_fail())
    try:
        upgrade(engine)
        with (
            engine.connect().execution_options(**READ_OPTIONS) as connection,
            connection.begin(),
            french_domain_errors(),
        ):
            yield CrisisRepository(connection, now=SystemClock().now())
    finally:
        engine.dispose()


@contextmanager
def open_service(
    mode: SchedulerMode | None = None,
    *,
    run_dispatcher: bool = False,
    settings: Settings | None = None,
) -> Iterator[Service]:
    """The service on an up-to-date schema; domain errors become French messages and exits."""
    from crisis.bootstrap import SchedulerMode, bootstrap
    from crisis.delivery.config import ConfigError
    from crisis.store.migrate import upgrade

    settings = settings or settings_or_fail()
    engine = existing_engine(settings)
    upgrade(engine)
    try:
        service = bootstrap(
            settings=settings,
            engine=engine,
            scheduler_mode=mode or SchedulerMode.NONE,
            run_dispatcher=run_dispatcher,
        )
    except ConfigError as error:
        engine.dispose()
        fail(str(error), EXIT_INVALID)
    try:
        with french_domain_errors():
            yield service
    finally:
        service.close()
