"""``crisis contacts``: import the directory, list it, deactivate a contact, keep named lists.

Mounted by the main CLI as ``app.add_typer(contacts_app, name="contacts")``.
Exit codes as the main CLI: 2 invalid input, 3 conflict, 4 not found.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crisis.cli.files import read_bytes
from crisis.cli.support import (
    EXIT_INVALID,
    ByOption,
    JsonOption,
    fail,
    local_actor,
    open_service,
    print_json,
)
from crisis.domain.contacts import Category
from crisis.french import counted

if TYPE_CHECKING:
    from crisis.domain.contact_commands import DeactivateContact, ReactivateContact
    from crisis.domain.contacts import Contact, Problem
    from crisis.services.contact_handlers import ListChange

contacts_app = typer.Typer(
    help="Annuaire des destinataires (élus, médias, cellule, partenaires) et listes nommées.",
    no_args_is_help=True,
    add_completion=False,
)
STATES = {"actifs": True, "inactifs": False, "tous": None}
lists_app = typer.Typer(help="Listes nommées de contacts.", no_args_is_help=True)
contacts_app.add_typer(lists_app, name="lists")


def problem_json(problem: Problem) -> dict[str, Any]:
    return {"line": problem.line, "field": problem.field, "reason": problem.reason}


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "key": contact.key,
        "name": contact.name,
        "category": contact.category.value,
        "email": contact.email,
        "mobile": contact.mobile,
        "telegram_chat_id": contact.telegram_chat_id,
        "commune": contact.commune,
        "fonction": contact.fonction,
        "exercise": contact.exercise,
        "active": contact.active,
    }


def _contact_line(contact: Contact) -> str:
    from crisis.domain.contacts import CATEGORY_LABELS

    means = ", ".join(m for m in (contact.email, contact.mobile, contact.telegram_chat_id) if m)
    where = " — ".join(p for p in (contact.fonction, contact.commune) if p)
    marker = (" [exercices]" if contact.exercise else "") + ("" if contact.active else " [inactif]")
    details = f" ({where})" if where else ""
    return (
        f"{contact.id}  {CATEGORY_LABELS[contact.category]:<10}  "
        f"{contact.name}{details}  {means or 'aucun moyen de contact'}{marker}"
    )


@contacts_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="Fichier CSV exporté d'Excel.")],
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Importer les lignes valides, lister les autres."),
    ] = False,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importer ou mettre à jour des contacts depuis un CSV (rien si une ligne est fausse)."""
    from crisis.domain.contact_commands import ImportContacts
    from crisis.domain.contacts import InvalidContacts
    from crisis.services.contact_handlers import ImportReport

    content = read_bytes(file)
    command = ImportContacts(file_name=file.name, content=content, skip_invalid=skip_invalid)
    rejected: InvalidContacts | None = None
    with open_service() as service:
        try:
            report: ImportReport = service.bus.handle(command, actor=local_actor(by))
        except InvalidContacts as error:
            rejected = error
    if rejected is not None:
        if as_json:
            print_json(
                {
                    "imported": False,
                    "file_name": file.name,
                    "sha256": command.sha256,
                    "errors": [problem_json(p) for p in rejected.problems],
                }
            )
        typer.echo(f"Erreur : le fichier « {file.name} » n'a pas été importé.", err=True)
        for problem in rejected.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(EXIT_INVALID)
    if as_json:
        print_json(
            {
                "imported": True,
                "file_name": report.file_name,
                "sha256": report.sha256,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "skipped": report.skipped,
                "errors": [problem_json(p) for p in report.problems],
            }
        )
        return
    typer.echo(
        f"Fichier « {report.file_name} » importé : {counted(report.created, 'créé')}, "
        f"{report.updated} mis à jour, {counted(report.unchanged, 'inchangé')}, "
        f"{counted(report.skipped, 'ligne ignorée', 'lignes ignorées')}."
    )
    for problem in report.problems:
        typer.echo(f"  ignorée — {problem}")


@contacts_app.command("list")
def list_contacts(
    category: Annotated[
        Category | None, typer.Option("--category", help="Seulement cette catégorie.")
    ] = None,
    exercise: Annotated[
        bool, typer.Option("--exercise", help="Seulement ceux qui participent aux exercices.")
    ] = False,
    state: Annotated[
        str, typer.Option("--state", help="actifs, inactifs ou tous (par défaut).")
    ] = "tous",
    as_json: JsonOption = False,
) -> None:
    """Lister les contacts (les inactifs marqués [inactif])."""
    if state not in STATES:
        fail("--state attend actifs, inactifs ou tous", EXIT_INVALID)
    with open_service() as service, service.bus.unit_of_work() as uow:
        found = uow.contacts.find(
            category=category, exercise=True if exercise else None, active=STATES[state]
        )
    if as_json:
        print_json([contact_json(c) for c in found])
        return
    if not found:
        typer.echo("Aucun contact.")
    for contact in found:
        typer.echo(_contact_line(contact))


def _switch(
    ref: str, command: Callable[[str], DeactivateContact | ReactivateContact], by: str | None
) -> Contact:
    """The contact named by id, e-mail or mobile, deactivated or reactivated."""

    with open_service() as service:
        with service.bus.unit_of_work() as uow:
            contact_id = uow.contacts.find_by_ref(ref).id
        done: Contact = service.bus.handle(command(contact_id), actor=local_actor(by))
    return done


@contacts_app.command("deactivate")
def deactivate(
    contact: Annotated[str, typer.Argument(help="Identifiant, e-mail ou mobile du contact.")],
    reason: Annotated[str, typer.Option("--reason", help="Motif, inscrit au journal.")] = "",
    by: ByOption = None,
) -> None:
    """Désactiver un contact : il reste dans l'annuaire et ses listes mais ne reçoit plus rien."""
    from crisis.domain.contact_commands import DeactivateContact

    done = _switch(contact, lambda found: DeactivateContact(contact_id=found, reason=reason), by)
    typer.echo(f"Contact « {done.name} » désactivé : il ne recevra plus rien.")


@contacts_app.command("reactivate")
def reactivate(
    contact: Annotated[str, typer.Argument(help="Identifiant, e-mail ou mobile du contact.")],
    by: ByOption = None,
) -> None:
    """Réactiver un contact désactivé."""
    from crisis.domain.contact_commands import ReactivateContact

    done = _switch(contact, lambda found: ReactivateContact(contact_id=found), by)
    typer.echo(f"Contact « {done.name} » réactivé.")


@lists_app.command("create")
def create_list(
    name: Annotated[str, typer.Argument(help="Nom de la liste.")],
    description: Annotated[str, typer.Option(help="À quoi sert la liste.")] = "",
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Créer une liste nommée (« maires des communes inondées »)."""
    from crisis.domain.contact_commands import CreateContactList

    with open_service() as service:
        created = service.bus.handle(
            CreateContactList(name=name, description=description), actor=local_actor(by)
        )
    if as_json:
        print_json({"id": created.id, "name": created.name, "description": created.description})
    else:
        typer.echo(f"Liste « {created.name} » créée ({created.id}).")


def _print_change(
    change: ListChange, done: tuple[str, str], idle: tuple[str, str], as_json: bool
) -> None:
    """`done` and `idle`: what befell the contacts, in the singular and the plural."""
    if as_json:
        print_json(
            {
                "list_id": change.contact_list.id,
                "name": change.contact_list.name,
                "changed": change.changed,
                "unchanged": change.unchanged,
            }
        )
        return
    changed = len(change.changed)
    what = done[0] if changed <= 1 else done[1]
    typer.echo(f"Liste « {change.contact_list.name} » : {counted(changed, 'contact')} {what}.")
    if change.unchanged:
        unchanged = len(change.unchanged)
        where = idle[0] if unchanged <= 1 else idle[1]
        typer.echo(f"{counted(unchanged, 'contact')} {where}.")


@lists_app.command("add")
def add_to_list(
    name: Annotated[str, typer.Argument(help="Nom ou identifiant de la liste.")],
    contacts: Annotated[
        list[str], typer.Argument(help="Contacts : identifiant, e-mail ou mobile.")
    ],
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ajouter des contacts à une liste."""
    from crisis.domain.contact_commands import AddToContactList

    with open_service() as service:
        change = service.bus.handle(
            AddToContactList(list_ref=name, contact_refs=tuple(contacts)), actor=local_actor(by)
        )
    _print_change(
        change, ("ajouté", "ajoutés"), ("déjà dans la liste", "déjà dans la liste"), as_json
    )


@lists_app.command("remove")
def remove_from_list(
    name: Annotated[str, typer.Argument(help="Nom ou identifiant de la liste.")],
    contacts: Annotated[
        list[str], typer.Argument(help="Contacts : identifiant, e-mail ou mobile.")
    ],
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Retirer des contacts d'une liste."""
    from crisis.domain.contact_commands import RemoveFromContactList

    with open_service() as service:
        change = service.bus.handle(
            RemoveFromContactList(list_ref=name, contact_refs=tuple(contacts)),
            actor=local_actor(by),
        )
    _print_change(
        change, ("retiré", "retirés"), ("absent de la liste", "absents de la liste"), as_json
    )


@lists_app.command("show")
def show_list(
    name: Annotated[str, typer.Argument(help="Nom ou identifiant de la liste.")],
    exercise: Annotated[
        bool, typer.Option("--exercise", help="Seulement ceux qui participent aux exercices.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Afficher une liste et les contacts qu'elle atteint."""
    with open_service() as service, service.bus.unit_of_work() as uow:
        found = uow.contacts.get_list(name)
        members = uow.contacts.resolve(found.id, exercise=exercise)
    if as_json:
        print_json(
            {
                "id": found.id,
                "name": found.name,
                "description": found.description,
                "contacts": [contact_json(c) for c in members],
            }
        )
        return
    typer.echo(f"Liste « {found.name} » : {counted(len(members), 'contact')}.")
    if found.description:
        typer.echo(found.description)
    for contact in members:
        typer.echo(_contact_line(contact))


@lists_app.command("list")
def list_lists(as_json: JsonOption = False) -> None:
    """Lister les listes nommées."""
    with open_service() as service, service.bus.unit_of_work() as uow:
        found = [(cl, len(uow.contacts.member_ids(cl.id))) for cl in uow.contacts.lists()]
    if as_json:
        print_json([{"id": cl.id, "name": cl.name, "members": n} for cl, n in found])
        return
    if not found:
        typer.echo("Aucune liste.")
    for contact_list, size in found:
        typer.echo(f"{contact_list.id}  {contact_list.name}  ({counted(size, 'contact')})")
