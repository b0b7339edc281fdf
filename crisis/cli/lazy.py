"""The `crisis` group: its commands come from the command table, each loaded when used."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer import _click
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_group
from typer.models import CommandInfo

from crisis.cli.table import BY_NAME, COMMANDS


def _plain(command: _click.Command) -> None:
    """Help and errors written by the framework's plain formatter (in French, see
    `crisis.cli.french`), not by rich: rich alone costs more than the 0.3 s a `--help` has."""
    setattr(command, "rich_markup_mode", None)  # noqa: B010 - Typer's classes only
    for sub in getattr(command, "commands", {}).values():
        _plain(sub)


def load(name: str) -> _click.Command | None:
    """The command of the table named `name`, its module imported now; None if unknown."""
    entry = BY_NAME.get(name)
    if entry is None:
        return None
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    command: _click.Command
    if isinstance(target, typer.Typer):
        command = get_group(target)
        command.help = command.help or entry.summary
    else:
        command = get_command_from_info(
            CommandInfo(name=name, callback=target),
            pretty_exceptions_short=True,
            rich_markup_mode=None,
        )
    command.name = name
    _plain(command)
    return command


class LazyGroup(TyperGroup):
    """Lists the table's commands without importing them; loads the one that is run."""

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [entry.name for entry in COMMANDS]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name not in self.commands:
            command = load(cmd_name)
            if command is None:
                return None
            self.commands[cmd_name] = command
        return self.commands[cmd_name]

    def format_commands(self, ctx: _click.Context, formatter: Any) -> None:
        """The table's lines: listing the commands loads none of them."""
        with formatter.section("Commandes"):
            formatter.write_dl([(entry.name, entry.summary) for entry in COMMANDS])
