"""The command framework's own words in French: help layout, usage errors, type names.

Typer (0.29, with its vendored Click) writes its help and its errors in English, with no
translation catalogue to install: « Show this message and exit. », `[required]`, `<bool>`,
« Usage: », « Missing argument ». `install()` replaces those words, once, before the `crisis`
command is used; command and option descriptions are written in French where they are
declared. Typer's string constants and message formats are pinned by the version range in
pyproject.toml, and the CLI test renders every `--help` to catch a word left in English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from typer import _coercion, core, rich_utils
from typer._click import core as click_core
from typer._click import exceptions, formatting

from crisis.validation import french_reason

HELP_OPTION_HELP = "Afficher cette aide et quitter."
USAGE_PREFIX = "Utilisation : "
SUBCOMMAND_METAVAR = "COMMANDE [ARGUMENTS]..."

_TYPE_NAMES: dict[str, str] = {
    "str": "texte",
    "int": "entier",
    "float": "nombre",
    "bool": "oui|non",
    "Path": "chemin",
    "PosixPath": "chemin",
    "datetime": "date et heure",
    "date": "date",
    "file": "fichier",
    "directory": "dossier",
    "path": "chemin",
}
_TYPE_NAMES.update({Path.__name__: "chemin", datetime.__name__: "date et heure"})
_TYPE_NAMES[date.__name__] = "date"

_RICH_STRINGS: dict[str, str] = {
    "DEPRECATED_STRING": "(obsolète) ",
    "DEFAULT_STRING": "[par défaut : {}]",
    "ENVVAR_STRING": "[variable d'environnement : {}]",
    "REQUIRED_LONG_STRING": "[obligatoire]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commandes",
    "ERRORS_PANEL_TITLE": "Erreur",
    "ABORTED_TEXT": "Interrompu.",
    "RICH_HELP": "Aide : [blue]'{command_path} {help_option}'[/]",
}

# The framework's error sentences, as regular expressions and their French wording.
_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), f)
    for p, f in (
        (r"^Missing argument (.+)\.$", r"Argument obligatoire manquant : \1."),
        (r"^Missing option (.+)\.$", r"Option obligatoire manquante : \1."),
        (r"^Missing parameter (.+)\.$", r"Paramètre obligatoire manquant : \1."),
        (r"^Missing parameter: (.+)$", r"Paramètre obligatoire manquant : \1"),
        (r"^Missing command\.$", "Commande manquante."),
        (r"^No such command (.+?)\.", r"Commande inconnue : \1."),
        (r"^No such option: (\S+)", r"Option inconnue : \1"),
        (r"Did you mean (.+)\?", r"Vouliez-vous dire \1 ?"),
        (r"\(Possible options: (.+)\)", r"(options possibles : \1)"),
        (r"^Got unexpected extra arguments? \((.+)\)$", r"Argument(s) en trop : \1"),
        (r"^Option (\S+) does not take a value\.$", r"L'option \1 ne prend pas de valeur."),
        (r"^Option (\S+) requires an argument\.$", r"L'option \1 attend une valeur."),
        (r"^Option (\S+) requires (\d+) arguments\.$", r"L'option \1 attend \2 valeurs."),
        (r"^Argument (\S+) takes (\d+) values\.$", r"L'argument \1 attend \2 valeurs."),
        (r"^Invalid value for (.+?): ", r"Valeur invalide pour \1 : "),
        (r"^Invalid value: ", "Valeur invalide : "),
        (r"Value (.+) is not a valid (\w+)\.", r"\1 n'est pas une valeur valide."),
        (r"(.+) is not one of (.+)\.$", r"\1 n'est pas l'une des valeurs : \2."),
        (r"(File|Directory|Path) (.+) does not exist\.", r"chemin \2 introuvable."),
        (r"(File|Directory|Path) (.+) is a directory\.", r"\2 est un dossier."),
        (r"(File|Directory|Path) (.+) is a file\.", r"\2 est un fichier."),
        (r"^Could not open file (.+?): ", r"Impossible d'ouvrir le fichier \1 : "),
        (r"Value must be an iterable\.", "une liste de valeurs est attendue."),
    )
]

_installed = False


def french_error(message: str) -> str:
    for pattern, replacement in _ERRORS:
        message = pattern.sub(replacement, message)
    return message


def _translated(method: Callable[[Any], str]) -> Callable[[Any], str]:
    def format_message(self: Any) -> str:
        return french_error(method(self))

    return format_message


def _french_pieces(method: Callable[[Any, Any], list[str]]) -> Callable[[Any, Any], list[str]]:
    def collect_usage_pieces(self: Any, ctx: Any) -> list[str]:
        return [SUBCOMMAND_METAVAR if p == "COMMAND [ARGS]..." else p for p in method(self, ctx)]

    return collect_usage_pieces


def _type_name(name: str) -> str:
    return _TYPE_NAMES.get(name, name)


def install() -> None:
    """Put the framework's words in French; once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    for name, text in _RICH_STRINGS.items():
        setattr(rich_utils, name, text)
    rich_utils.OptionHighlighter.highlights = [
        h.replace("Usage: ", USAGE_PREFIX) for h in rich_utils.OptionHighlighter.highlights
    ]

    write_usage = formatting.HelpFormatter.write_usage

    def french_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = french_usage  # type: ignore[method-assign]

    get_help_option = click_core.Command.get_help_option

    def french_help_option(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option

    click_core.Command.get_help_option = french_help_option  # type: ignore[method-assign]

    for cls in (click_core.Command, core.TyperGroup):
        cls.collect_usage_pieces = _french_pieces(cls.collect_usage_pieces)  # type: ignore[method-assign, assignment]

    _install_types()
    _install_errors()


def _install_types() -> None:
    mixin = core._TyperParameter  # the type names live on Typer's private parameter mixin
    bare_type, display_type = mixin._bare_type, mixin.display_type

    def french_bare_type(self: Any, annotation: Any) -> str:
        return _type_name(bare_type(self, annotation))

    def french_display_type(self: Any, ctx: Any) -> str:
        shown: str = display_type(self, ctx)
        return f"<{_type_name(shown.removeprefix('<').removesuffix('>'))}>"

    mixin._bare_type = french_bare_type  # type: ignore[method-assign]
    mixin.display_type = french_display_type  # type: ignore[method-assign]
    option_type = core.TyperOption.display_type_rich

    def flag_without_type(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False):
            return None  # a flag takes no value: no type to show
        shown: str | None = option_type(self, ctx)
        return shown

    core.TyperOption.display_type_rich = flag_without_type  # type: ignore[method-assign]


def _install_errors() -> None:
    for cls in (
        exceptions.ClickException,
        exceptions.UsageError,
        exceptions.BadParameter,
        exceptions.MissingParameter,
        exceptions.NoSuchOption,
        exceptions.BadOptionUsage,
        exceptions.BadArgumentUsage,
        exceptions.FileError,
    ):
        if "format_message" in vars(cls):
            setattr(cls, "format_message", _translated(vars(cls)["format_message"]))  # noqa: B010

    def french_error_msg(exc: Any) -> str:
        errors = exc.errors()
        return french_reason(errors[0]) if errors else "valeur invalide"

    # Typer shows pydantic's English reason for a value it cannot convert: ours instead.
    setattr(_coercion, "get_error_msg", french_error_msg)  # noqa: B010
