"""Questions asked at the keyboard, in French: the framework's own prompts answer in English
(« Repeat for confirmation », « Error: The two entered values do not match », « [y/N] »)."""

from __future__ import annotations

import typer

YES = frozenset({"o", "oui"})


def new_password(label: str) -> str:
    """A password typed twice, hidden; asked again until both entries match."""
    while True:
        first: str = typer.prompt(label, hide_input=True)
        second: str = typer.prompt("Confirmez-le", hide_input=True)
        if first == second:
            return first
        typer.echo("Erreur : les deux saisies diffèrent ; recommencez.", err=True)


def confirmed(question: str) -> bool:
    """« oui » (or « o ») to go on; anything else, or nothing, is no."""
    answer: str = typer.prompt(f"{question} (oui/non)", default="non", show_default=True)
    return answer.strip().lower() in YES
