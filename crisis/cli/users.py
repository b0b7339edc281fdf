"""`crisis db …` and `crisis user …`: the schema, the users and their access tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from crisis.bootstrap import open_engine
from crisis.cli.support import JsonOption, local_actor, open_service, print_json
from crisis.domain.commands import AddUser
from crisis.services.roles import ROLE_LABELS, Role
from crisis.settings import Settings
from crisis.store.migrate import upgrade

db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
user_app = typer.Typer(help="Utilisateurs et jetons d'accès.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Créer ou mettre à jour le schéma de la base."""
    engine = open_engine(Settings())
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    typer.echo("Base de données à jour.")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Nom de l'utilisateur.")],
    role: Annotated[str, typer.Option(help="Rôle : " + ", ".join(r.value for r in Role))],
    as_json: JsonOption = False,
) -> None:
    """Créer un utilisateur ; son jeton n'est affiché qu'une fois."""
    with open_service() as service:
        result = service.bus.handle(AddUser(name=name, role=role), actor=local_actor(None))
    token = result["token"]
    if as_json:
        print_json({"name": name.strip(), "role": role, "token": token})
        return
    typer.echo(f"Utilisateur « {name.strip()} » créé ({ROLE_LABELS[Role(role)]}).")
    typer.echo(f"Jeton (affiché une seule fois, à conserver en lieu sûr) : {token}")


@user_app.command("list")
def user_list(as_json: JsonOption = False) -> None:
    """Lister les utilisateurs (sans leurs jetons)."""
    with open_service() as service, service.bus.unit_of_work() as uow:
        users = uow.users.all()
    if as_json:
        print_json([{"name": u.name, "role": u.role, "active": u.active} for u in users])
        return
    for user in users:
        typer.echo(f"{user.name} — {ROLE_LABELS[Role(user.role)]}")
