"""`crisis backup`, `crisis restore`, `crisis journal export` and the offline audit check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from crisis.cli.asking import confirmed
from crisis.cli.events import journal
from crisis.cli.support import (
    EXIT_FAILURE,
    EXIT_INVALID,
    existing_engine,
    fail,
    open_service,
    settings_or_fail,
)
from crisis.french import counted

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crisis.store.journal import ChainCheck


class _ShowByDefault(TyperGroup):
    """`crisis journal ID` stays `crisis journal show ID`; `crisis journal export` is new."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


journal_app = typer.Typer(
    cls=_ShowByDefault, help="Main courante et export du journal.", no_args_is_help=True
)


@contextmanager
def _configured_engine(*, existing: bool = True) -> Iterator[Engine]:
    """The configured database, without the service; a BackupError becomes a French exit.
    A restore may make the database (`existing=False`): that is what it is asked."""
    from crisis.french import os_reason
    from crisis.ops.backup import BackupError
    from crisis.store.engine import open_engine

    settings = settings_or_fail()
    engine = existing_engine(settings, with_schema=False) if existing else open_engine(settings)
    try:
        yield engine
    except BackupError as error:
        fail(str(error), EXIT_INVALID)
    except OSError as error:
        where = f" : {error.filename}" if error.filename else ""
        fail(f"copie impossible{where} ({os_reason(error)})", EXIT_INVALID)
    finally:
        engine.dispose()


def backup(
    out: Annotated[Path, typer.Option("--out", help="Fichier de la copie.")],
) -> None:
    """Copier la base SQLite, même service en marche ; sur PostgreSQL, dire la commande pg_dump."""
    from crisis.ops.backup import backup_sqlite, pg_dump_command, sqlite_path

    with _configured_engine() as engine:
        if sqlite_path(engine) is None:
            typer.echo(
                "Base PostgreSQL : sauvegardez-la avec pg_dump (mot de passe dans PGPASSWORD"
                " ou ~/.pgpass), par exemple :",
                err=True,
            )
            typer.echo(pg_dump_command(engine, out))
            raise typer.Exit(EXIT_INVALID)
        report = backup_sqlite(engine, out)
    typer.echo(
        f"Copie cohérente écrite dans {report.path} ({report.size} octets, "
        f"schéma {report.revision or 'inconnu'})."
    )


def restore(
    source: Annotated[Path, typer.Option("--from", help="Copie faite par crisis backup.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Remplacer la base sans confirmation.")
    ] = False,
) -> None:
    """Remplacer la base SQLite par une copie ; refusé tant qu'un service l'utilise."""
    from crisis.ops.backup import restore_sqlite, sqlite_path

    with _configured_engine(existing=False) as engine:
        target = sqlite_path(engine)
        if target is None:
            fail("base PostgreSQL : restaurez-la avec pg_restore", EXIT_INVALID)
        question = f"Remplacer la base {target} par {source} ?"
        if target.exists() and not yes and not confirmed(question):
            typer.echo("Rien n'a été remplacé.", err=True)
            raise typer.Exit(EXIT_FAILURE)
        report = restore_sqlite(engine, source)
    typer.echo(
        f"Base {report.path} restaurée depuis {source} (schéma {report.revision or 'inconnu'})."
        " Lancez « crisis audit verify » pour contrôler le journal."
    )


@journal_app.command("export")
def journal_export(
    out: Annotated[Path, typer.Option("--out", help="Fichier JSON Lines à écrire.")],
    crisis_id: Annotated[
        str | None, typer.Option("--crisis", help="Un événement ; par défaut tout le journal.")
    ] = None,
) -> None:
    """Exporter les chaînes du journal avec leurs empreintes, pour l'archivage."""
    from crisis.french import os_reason
    from crisis.store.journal_export import export_lines

    with open_service() as service, service.bus.unit_of_work() as uow:
        if crisis_id is not None:
            uow.crises.get(crisis_id)
        streams = [crisis_id] if crisis_id is not None else uow.journal.streams()
        count = 0
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8") as sink:
                for line in export_lines(uow.journal, streams, exported_at=service.clock.now()):
                    sink.write(line)
                    count += 1
        except OSError as error:
            with suppress(OSError):  # never leave half an export behind
                out.unlink()
            fail(f"impossible d'écrire {out} ({os_reason(error)})", EXIT_INVALID)
    chains, lines = counted(len(streams), "chaîne"), counted(count, "ligne")
    typer.echo(f"Journal exporté dans {out} : {chains}, {lines}.")


def verify_file(path: Path) -> list[ChainCheck]:
    """The offline check behind `crisis audit verify --file`."""
    from crisis.french import os_reason
    from crisis.store.journal_export import UnreadableExport, verify_export

    try:
        with path.open(encoding="utf-8") as lines:
            return verify_export(lines)
    except OSError as error:
        fail(f"impossible de lire le fichier {path} ({os_reason(error)})", EXIT_INVALID)
    except UnicodeDecodeError:
        fail(f"{path} n'est pas un export du journal (texte UTF-8 attendu)", EXIT_INVALID)
    except UnreadableExport as error:
        fail(f"{path} : {error}", EXIT_INVALID)


journal_app.command("show")(journal)
