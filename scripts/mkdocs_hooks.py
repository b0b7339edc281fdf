"""MkDocs hooks (mkdocs.yml `hooks:`): pages generated from the code at build time.

`reference/commandes.md` is written from the `crisis` command table itself (Click's view of the
Typer application; Typer carries its own copy of Click, hence the duck typing): every command,
its description, its usage line and each of its arguments and options, so the reference cannot
drift from the program. The vocabulary page's code tables are read from `crisis.labels`.
"""

from __future__ import annotations

import html
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

COMMANDS_PAGE = "reference/commandes.md"

_INTRO = """# Toutes les commandes

Cette page est **produite à la construction du site** à partir de la table des commandes de
`crisis` (`crisis/cli/`) : elle dit ce que dit `crisis … --help`, commande par commande. Les
conventions communes (codes de sortie, `--json`, erreurs en français) et des exemples sont dans
[La ligne de commande](ligne-de-commande.md).
"""


def _root_command() -> Any:
    import typer

    from crisis.cli.app import app

    return typer.main.get_command(app)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _parameter_row(param: Any, ctx: Any) -> str | None:
    if param.name == "help":
        return None
    record = param.get_help_record(ctx)
    if record is None:  # hidden
        return None
    names, help_text = record
    # HTML rather than a code span: a table cell's code span would show the escaped "\\|".
    code = html.escape(" ".join(names.split())).replace("|", "&#124;")
    return f"| <code>{code}</code> | {_cell(help_text)} |"


def _command_section(command: Any, ctx: Any) -> list[str]:
    path = ctx.command_path
    lines = [f"## `{path}`", ""]
    description = (command.help or command.short_help or "").strip()
    if description:
        lines += [description.split("\f")[0].strip(), ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += ["```sh", f"{path} {usage}".rstrip(), "```", ""]
    rows = [row for p in command.get_params(ctx) if (row := _parameter_row(p, ctx))]
    if rows:
        lines += ["| paramètre | rôle |", "|---|---|", *rows, ""]
    return lines


def _walk(command: Any, ctx: Any) -> list[str]:
    if not hasattr(command, "list_commands"):
        return _command_section(command, ctx)
    lines: list[str] = []
    if ctx.parent is not None:
        lines += _command_section(command, ctx)
    for name in sorted(command.list_commands(ctx)):
        sub = command.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        lines += _walk(sub, sub.context_class(sub, info_name=name, parent=ctx))
    return lines


def commands_markdown() -> str:
    """The Markdown of the generated command reference."""
    root = _root_command()
    ctx = root.context_class(root, info_name="crisis")
    return "\n".join([_INTRO, *_walk(root, ctx)]).rstrip() + "\n"


def on_files(files: Files, *, config: MkDocsConfig, **_: Any) -> Files:
    files.append(File.generated(config, COMMANDS_PAGE, content=commands_markdown()))
    return files


CODES_MARKER = "<!-- codes générés -->"

# (title, name of the table in crisis.labels)
_CODE_TABLES = [
    ("Rôles des utilisateurs", "USER_ROLE_LABELS"),
    ("Publics et destinataires d'alertes", "AUDIENCE_LABELS"),
    ("Horloges", "CLOCK_LABELS"),
    ("États d'une horloge", "CLOCK_STATE_LABELS"),
    ("Natures d'événement (`--kind`)", "CRISIS_KIND_LABELS"),
    ("États d'un événement", "CRISIS_STATE_LABELS"),
    ("Canaux", "CHANNEL_LABELS"),
    ("Types de message", "MESSAGE_TYPE_LABELS"),
    ("États d'un message préparé", "DRAFT_STATE_LABELS"),
    ("États d'une diffusion", "DELIVERY_STATUS_LABELS"),
    ("Rôles d'astreinte", "CELL_ROLE_LABELS"),
    ("Catégories de l'annuaire", "CATEGORY_LABELS"),
]


def codes_markdown() -> str:
    """Every code a person meets and its French label, read from crisis.labels."""
    from crisis import labels

    lines: list[str] = []
    for title, name in _CODE_TABLES:
        table: dict[Any, str] = getattr(labels, name)
        lines += [f"### {title}", "", "| code | libellé |", "|---|---|"]
        lines += [f"| `{code}` | {_cell(label)} |" for code, label in table.items()]
        lines.append("")
    return "\n".join(lines)


def on_page_markdown(markdown: str, **_: Any) -> str:
    if CODES_MARKER in markdown:
        return markdown.replace(CODES_MARKER, codes_markdown())
    return markdown
