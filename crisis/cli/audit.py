"""`crisis audit …`: checking the journal's hash chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crisis.cli.support import EXIT_FAILURE, JsonOption, open_service, print_json

audit_app = typer.Typer(help="Contrôle du journal.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    crisis_id: Annotated[str | None, typer.Argument(help="Un événement ; par défaut tous.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Vérifier un export, sans base de données.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Vérifier la chaîne d'empreintes du journal ; code de sortie 1 si elle est rompue."""
    from crisis.cli.operations import verify_file
    from crisis.french import entries
    from crisis.store.journal import SYSTEM_STREAM

    if file is not None:
        checks = verify_file(file)
        if crisis_id is not None:
            checks = [c for c in checks if c.stream == crisis_id]
    else:
        with open_service() as service, service.bus.unit_of_work() as uow:
            if crisis_id is not None:
                uow.crises.get(crisis_id)
                streams = [crisis_id]
            else:
                streams = uow.journal.streams()
            checks = [uow.journal.verify(stream) for stream in streams]
    broken = [c for c in checks if not c.ok]
    if as_json:
        print_json(
            {
                "ok": not broken,
                "streams": [
                    {
                        "stream": c.stream,
                        "ok": c.ok,
                        "entries_checked": c.entries_checked,
                        "first_broken_seq": c.first_broken_seq,
                        "reason": c.reason,
                    }
                    for c in checks
                ],
            }
        )
    else:
        for check in checks:
            name = (
                "journal système" if check.stream == SYSTEM_STREAM else f"événement {check.stream}"
            )
            if check.ok:
                typer.echo(f"{name} : chaîne intacte ({entries(check.entries_checked)}).")
            else:
                where = f"à l'entrée n° {check.first_broken_seq}"
                typer.echo(f"{name} : CHAÎNE ROMPUE {where} — {check.reason}.")
        if not checks:
            typer.echo("Journal vide : rien à vérifier.")
    if broken:
        raise typer.Exit(EXIT_FAILURE)
