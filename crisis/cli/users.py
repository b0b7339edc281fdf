"""`crisis db …` and `crisis user …`: the schema, the users, their tokens and passwords."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from crisis.cli.asking import new_password
from crisis.cli.support import JsonOption, local_actor, open_service, print_json, settings_or_fail
from crisis.domain.vocabulary import Role

db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
user_app = typer.Typer(help="Utilisateurs et jetons d'accès.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Créer ou mettre à jour le schéma de la base."""
    from crisis.store.engine import open_engine
    from crisis.store.migrate import upgrade

    engine = open_engine(settings_or_fail())
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    typer.echo("Base de données à jour.")


PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Lire le mot de passe de la console sur l'entrée standard."
    ),
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return new_password("Mot de passe de la console")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Nom de l'utilisateur.")],
    role: Annotated[str, typer.Option(help="Rôle : " + ", ".join(r.value for r in Role))],
    password_stdin: PasswordStdin = False,
    with_password: Annotated[
        bool, typer.Option("--password", help="Demander un mot de passe pour la console.")
    ] = False,
    email: Annotated[
        str | None,
        typer.Option(help="Adresse de son identité ProConnect (rapprochée à sa 1re connexion)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Créer un utilisateur ; son jeton n'est affiché qu'une fois."""
    from crisis.domain.commands import AddUser
    from crisis.services.roles import ROLE_LABELS

    wants_password = password_stdin or with_password
    password = _read_password(password_stdin) if wants_password else None
    with open_service() as service:
        result = service.bus.handle(
            AddUser(name=name, role=role, password=password, email=email),
            actor=local_actor(None),
        )
    token = result["token"]
    if as_json:
        print_json({"name": name.strip(), "role": role, "token": token})
        return
    typer.echo(f"Utilisateur « {name.strip()} » créé ({ROLE_LABELS[Role(role)]}).")
    if password is not None:
        typer.echo("Il peut se connecter à la console avec son mot de passe.")
    typer.echo(f"Jeton (affiché une seule fois, à conserver en lieu sûr) : {token}")


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="Nom de l'utilisateur.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Définir ou changer le mot de passe de la console (ferme ses autres sessions ouvertes)."""
    from crisis.domain.commands import SetPassword

    password = _read_password(password_stdin)
    with open_service() as service:
        service.bus.handle(SetPassword(name=name, password=password), actor=local_actor(None))
    typer.echo(
        f"Mot de passe de « {name.strip()} » enregistré ; ses sessions ouvertes sont fermées."
    )


@user_app.command("deactivate")
def user_deactivate(name: Annotated[str, typer.Argument(help="Nom de l'utilisateur.")]) -> None:
    """Désactiver un compte : ses sessions sont fermées, son jeton d'API refusé."""
    from crisis.domain.account_commands import DeactivateUser

    with open_service() as service:
        service.bus.handle(DeactivateUser(name=name), actor=local_actor(None))
    typer.echo(
        f"Compte de « {name.strip()} » désactivé : ses sessions de console sont fermées et "
        "son jeton d'API est refusé."
    )


@user_app.command("reactivate")
def user_reactivate(name: Annotated[str, typer.Argument(help="Nom de l'utilisateur.")]) -> None:
    """Réactiver un compte désactivé."""
    from crisis.domain.account_commands import ReactivateUser

    with open_service() as service:
        service.bus.handle(ReactivateUser(name=name), actor=local_actor(None))
    typer.echo(f"Compte de « {name.strip()} » réactivé : il peut de nouveau se connecter.")


@user_app.command("list")
def user_list(as_json: JsonOption = False) -> None:
    """Lister les utilisateurs (sans leurs jetons)."""
    from crisis.services.roles import ROLE_LABELS

    with open_service() as service, service.bus.unit_of_work() as uow:
        users = uow.users.all()
    if as_json:
        print_json([{"name": u.name, "role": u.role, "active": u.active} for u in users])
        return
    for user in users:
        inactive = "" if user.active else " (désactivé)"
        typer.echo(f"{user.name} — {ROLE_LABELS[Role(user.role)]}{inactive}")
