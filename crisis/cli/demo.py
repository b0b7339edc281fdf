"""`crisis demo`: a demonstration database in the data folder, with its users' passwords."""

from __future__ import annotations

import typer

from crisis.cli.support import (
    EXIT_CONFLICT,
    JsonOption,
    database_place,
    fail,
    print_json,
    settings_or_fail,
)


def demo(as_json: JsonOption = False) -> None:
    """Créer la base de démonstration : un utilisateur par rôle, élus, médias, astreinte et
    canaux de démonstration qui ne joignent personne."""
    from crisis.demo.create import (
        DemonstrationExistsError,
        NotADemonstrationDatabaseError,
        create_demonstration,
    )
    from crisis.demo.seed import DEMO_EVENT
    from crisis.services.roles import ROLE_LABELS
    from crisis.store.engine import open_engine

    settings = settings_or_fail()
    where = database_place(settings)
    engine = open_engine(settings)
    try:
        contents = create_demonstration(settings, engine)
    except NotADemonstrationDatabaseError:
        fail(
            f"la base {where} existe déjà et n'est pas une base de démonstration : « crisis "
            "demo » n'y touche pas. Pour une démonstration, choisissez un autre dossier de "
            "données, par exemple CRISIS_DATA_DIR=demo crisis demo.",
            EXIT_CONFLICT,
        )
    except DemonstrationExistsError:
        typer.echo(
            f"La base de démonstration existe déjà ({where}) : ses mots de passe ont été affichés "
            "à sa création. Pour repartir de zéro, supprimez ce fichier et relancez « crisis "
            "demo »."
        )
        return
    finally:
        engine.dispose()
    if as_json:
        print_json(
            {
                "database": where,
                "event_id": contents.event_id,
                "users": [
                    {"name": u.name, "role": u.role.value, "password": u.password}
                    for u in contents.users
                ],
            }
        )
        return
    typer.echo(f"Base de démonstration créée : {where}")
    typer.echo(
        "Aucun message n'en sort : ses canaux de démonstration (SMS, courriel, Telegram, "
        "webhook) gardent ce qu'ils « envoient » dans la boîte d'envoi de démonstration de la "
        "console."
    )
    typer.echo("")
    typer.echo("Comptes de la console (mots de passe affichés cette fois seulement) :")
    for user in contents.users:
        role = ROLE_LABELS[user.role]
        typer.echo(f"  {user.name:<11} {role:<26} mot de passe : {user.password}")
    typer.echo("")
    typer.echo(
        f"Annuaire : {contents.elus} élus et {contents.medias} médias ; astreinte : "
        f"{contents.oncall_members} membres de la cellule pour {contents.roster_days} jours ; "
        "les modèles de messages fournis."
    )
    typer.echo(
        f"Un exercice est ouvert, COD activé : « {DEMO_EVENT.title} » ; l'astreinte a été appelée."
    )
    typer.echo(
        "Lancez la console (« make demo » le fait pour vous, ou « crisis serve ») et ouvrez "
        f"l'adresse qu'elle affiche (http://{settings.host}:{settings.port}/ sauf --port) : "
        "« cellule » rédige, « prefet » valide."
    )
