"""`crisis approvers …`: the order in which the approvers of a message are called."""

from __future__ import annotations

from typing import Annotated

import typer

from crisis.cli.support import ByOption, JsonOption, local_actor, open_service, print_json

approvers_app = typer.Typer(
    help="Valideurs appelés quand un message attend la validation du préfet.",
    no_args_is_help=True,
)


@approvers_app.command("list")
def approvers_list(as_json: JsonOption = False) -> None:
    """L'ordre d'appel des valideurs, et comment chacun est joint."""
    from crisis.services.approver_order import approver_lines

    with open_service() as service, service.bus.reading() as uow:
        lines = approver_lines(uow)
    if as_json:
        print_json(lines)
        return
    if not lines:
        typer.echo("Aucun valideur : personne n'est appelé quand un message attend la validation.")
        return
    for line in lines:
        reach = f"joint(e) comme {line.reached_as}" if line.reached_as else "injoignable"
        methods = f" : {', '.join(line.methods)}" if line.methods else ""
        problem = f" — à corriger : {line.problem}" if line.problem else ""
        typer.echo(f"{line.position}. {line.user} — {reach}{methods}{problem}")


@approvers_app.command("set")
def approvers_set(
    approvers: Annotated[
        list[str] | None,
        typer.Argument(
            help="Les valideurs dans l'ordre d'appel : NOM, ou NOM=CONTACT pour le joindre "
            "par un contact de l'annuaire (identifiant, courriel, mobile ou Telegram). "
            "Sans valideur : plus personne n'est appelé.",
            show_default=False,
        ),
    ] = None,
    by: ByOption = None,
) -> None:
    """Fixer l'ordre d'appel des valideurs (remplace l'ordre précédent)."""
    from crisis.domain.approval_calls import ApproverInput, SetApprovers

    items = []
    for item in approvers or []:
        name, _, contact = item.partition("=")
        items.append(ApproverInput(user=name.strip(), member=contact.strip() or None))
    with open_service() as service:
        service.bus.handle(SetApprovers(approvers=tuple(items)), actor=local_actor(by))
    if items:
        typer.echo("Ordre d'appel enregistré : " + ", ".join(i.user for i in items) + ".")
    else:
        typer.echo("Liste vidée : plus aucun valideur n'est appelé.")
