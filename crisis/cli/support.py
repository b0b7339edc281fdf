"""What every `crisis …` command shares: the service on the configured database, French
errors with their exit codes, the local operator, JSON output, instants typed by hand."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from crisis.bootstrap import SchedulerMode, Service, bootstrap, open_engine
from crisis.delivery.config import ConfigError
from crisis.domain.contacts import InvalidContacts
from crisis.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from crisis.jsonable import to_jsonable
from crisis.services.context import Actor
from crisis.settings import Settings, SettingsError, load_settings
from crisis.store.migrate import upgrade

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
    where = make_url(database_url).render_as_string(hide_password=True)
    reason = str(error.orig if error.orig is not None else error).strip()
    first_line = reason.splitlines()[0] if reason else type(error).__name__
    return (
        f"la base de données ne répond pas ({where}) : {first_line}. Vérifiez qu'elle tourne et "
        "le réglage CRISIS_DATABASE_URL, puis relancez la commande."
    )


def print_json(data: Any) -> None:
    typer.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2))


def local_actor(by: str | None) -> Actor:
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
    return instant


def settings_or_fail() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error), EXIT_INVALID)


@contextmanager
def open_service(
    mode: SchedulerMode = SchedulerMode.NONE, *, run_dispatcher: bool = False
) -> Iterator[Service]:
    """The service on an up-to-date schema; domain errors become French messages and exits."""
    settings = settings_or_fail()
    engine = open_engine(settings)
    upgrade(engine)
    try:
        service = bootstrap(
            settings=settings, engine=engine, scheduler_mode=mode, run_dispatcher=run_dispatcher
        )
    except ConfigError as error:
        engine.dispose()
        fail(str(error), EXIT_INVALID)
    try:
        yield service
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
    finally:
        service.close()
