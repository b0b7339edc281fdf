"""The `crisis` command: the same service layer as the API, on the configured database.

This module stays light: `crisis --help` and `crisis --version` import nothing of the
service, and `crisis NAME …` imports NAME's module only (`crisis.cli.table`).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

import crisis
from crisis.cli import french
from crisis.cli.lazy import LazyGroup
from crisis.cli.support import EXIT_UNAVAILABLE, database_unreachable

# The framework's own words (help layout, usage errors) in French, before any help is shown.
french.install()

app = typer.Typer(
    cls=LazyGroup,
    help="Communication de crise d'une préfecture (Qual-e-Pref, module 7).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"crisis {crisis.__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Afficher la version et quitter.",
            is_eager=True,
            callback=_print_version,
        ),
    ] = False,
) -> None:
    """Communication de crise d'une préfecture (Qual-e-Pref, module 7)."""


def main() -> None:
    # No pydantic plugin serves the service: looking for some scans every installed package's
    # entry points (0.03 s of every command that reads the settings).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        app(prog_name="crisis")  # `python -m crisis` too
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:
        from sqlalchemy.exc import OperationalError

        if not isinstance(error, OperationalError):
            raise
        # A French line rather than a page of traceback, whichever command met it.
        from crisis.settings import load_settings

        message = database_unreachable(error, load_settings().resolved_database_url)
        typer.echo(f"Erreur : {message}", err=True)
        sys.exit(EXIT_UNAVAILABLE)
