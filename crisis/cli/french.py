"""The command framework's own words in French: help layout, usage errors, type names.

Typer (0.29, with its vendored Click) writes its help and its errors in English, with no
translation catalogue to install: « Show this message and exit. », `[required]`, `<bool>`,
« Usage: », « Missing argument », « Try … for help », « Error: ». `install()` replaces those
words, once, before the `crisis` command is used; command and option descriptions are written
in French where they are declared. The help is the framework's plain one (the `crisis` command
sets no rich markup: rich alone takes longer to import than a `--help` may). Typer's string
constants and message formats are pinned by the version range in pyproject.toml, and the CLI
tests render every `--help` and the usage errors, through the installed command too, to catch
a word left in English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from typer import _coercion, core
from typer._click import core as click_core
from typer._click import exceptions, formatting
from typer._click._compat import get_text_stderr
from typer._click.utils import echo

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
    "integer": "entier",
}
_TYPE_NAMES.update({Path.__name__: "chemin", datetime.__name__: "date et heure"})
_TYPE_NAMES[date.__name__] = "date"

# The words Typer passes through gettext (with no catalogue: they stay English otherwise).
_GETTEXT: dict[str, str] = {
    "default: {default}": "par défaut : {default}",
    "required": "obligatoire",
    "env var: {var}": "variable d'environnement : {var}",
    "(dynamic)": "(calculé)",
    "Arguments": "Arguments",
    "Options": "Options",
    "Commands": "Commandes",
    "Missing command.": "Commande manquante.",
    "No such command {name!r}.": "Commande inconnue : {name!r}.",
    "Aborted!": "Interrompu.",
}

# The framework's error sentences, as regular expressions and their French wording.
_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), f)
    for p, f in (
        (r",\n\t", ", "),
        (r"Choose from:\s*", "Valeurs possibles : "),
        (r"^Missing argument (\S+)\.", r"Argument obligatoire manquant : \1."),
        (r"^Missing option (\S+)\.", r"Option obligatoire manquante : \1."),
        (r"^Missing parameter (\S+)\.", r"Paramètre obligatoire manquant : \1."),
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


def _french_gettext(message: str) -> str:
    return _GETTEXT.get(message, message)


_LIST = re.compile(r"^list\[(.*)\]$")
_RANGE = re.compile(r"^(\w+) range$")


def _type_name(name: str) -> str:
    """A value's type as the help shows it: « texte », not « str » nor « list[str] » (a
    repeatable option takes one value each time it is given)."""
    listed = _LIST.match(name)
    if listed is not None:
        return _type_name(listed.group(1))
    ranged = _RANGE.match(name)
    if ranged is not None:
        return _type_name(ranged.group(1))
    return _TYPE_NAMES.get(name, name)


def install() -> None:
    """Put the framework's words in French; once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    setattr(core, "_", _french_gettext)  # noqa: B010 - Typer's gettext alias

    write_usage = formatting.HelpFormatter.write_usage

    def french_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = french_usage  # type: ignore[method-assign]

    get_help_option = click_core.Command.get_help_option

    def french_help_option(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = HELP_OPTION_HELP
            # A flag not given reads False, not None: None would be converted by Typer's
            # pydantic layer, which a group's `--help` then imports for nothing (0.15 s).
            if option.default is None:
                option.default = False
        return option

    click_core.Command.get_help_option = french_help_option  # type: ignore[method-assign]

    short_help = click_core.Command.get_short_help_str

    def whole_first_sentence(self: Any, limit: int = 45) -> str:
        # A group's list shows each command's first sentence whole, wrapped, not cut off
        # with « ... ».
        shown: str = short_help(self, limit=10_000)
        return shown

    click_core.Command.get_short_help_str = whole_first_sentence  # type: ignore[method-assign]

    for cls in (click_core.Command, core.TyperGroup):
        cls.collect_usage_pieces = _french_pieces(cls.collect_usage_pieces)  # type: ignore[method-assign, assignment]

    _install_types()
    _install_errors()


def _argument_name(self: Any) -> str:
    """An argument is named in capitals, as Click's help names it: CRISIS_ID."""
    return str(self.metavar) if self.metavar is not None else str(self.name).upper()


def _argument_usage(self: Any) -> str:
    """CRISIS_ID when required, [CRISIS_ID] when not (Typer's plain help writes {crisis_id})."""
    name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
    return name if self.nargs == 1 else f"{name}..."


def _install_types() -> None:
    core.TyperArgument.display_name_raw = property(_argument_name)  # type: ignore[assignment, method-assign]
    core.TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
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


def _french_show(self: Any, file: Any = None) -> None:
    """« Utilisation : … », « Aide : crisis … --help » and « Erreur : … » on the error stream."""
    stream = file or get_text_stderr()
    ctx = getattr(self, "ctx", None)
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = f"Aide : {ctx.command_path} {ctx.help_option_names[0]}\n"
        echo(f"{ctx.get_usage()}\n{hint}", file=stream, color=ctx.color)
    echo(f"Erreur : {self.format_message()}", file=stream)


def _install_errors() -> None:
    exceptions.ClickException.show = _french_show  # type: ignore[method-assign]
    exceptions.UsageError.show = _french_show  # type: ignore[method-assign]
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
