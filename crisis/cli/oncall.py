"""``crisis oncall``, ``crisis callout``, ``crisis cip`` and ``crisis bot``.

Mounted by the main CLI. Exit codes as the main CLI: 2 invalid input, 3 conflict, 4 not found.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crisis.cli.files import read_bytes
from crisis.cli.support import (
    EXIT_INVALID,
    ByOption,
    CrisisArgument,
    JsonOption,
    fail,
    local_actor,
    open_service,
    parse_instant,
    print_json,
)
from crisis.domain.vocabulary import Team
from crisis.french import counted

if TYPE_CHECKING:
    from crisis.bootstrap import Service

oncall_app = typer.Typer(
    help="Astreinte de la cellule : tableau, qui est d'astreinte, codes Telegram.",
    no_args_is_help=True,
)
cip_app = typer.Typer(
    help="Cellule d'information du public (CIP) et numéro unique.", no_args_is_help=True
)


# -- crisis oncall --------------------------------------------------------------------------


@oncall_app.command("import")
def oncall_import(
    file: Annotated[
        Path, typer.Argument(help="Fichier CSV : nom;role;debut;fin[;email;mobile;telegram]")
    ],
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importer le tableau d'astreinte (remplace les créneaux ; tout ou rien)."""
    from crisis.domain.oncall import ImportRoster
    from crisis.oncall.csv_import import parse_roster_csv
    from crisis.services.roster_handlers import RosterReport

    content = read_bytes(file)
    parsed = parse_roster_csv(content)
    if parsed.problems:
        for problem in parsed.problems:
            typer.echo(f"Erreur : {problem}", err=True)
        typer.echo("Rien n'a été importé.", err=True)
        raise typer.Exit(EXIT_INVALID)
    with open_service() as service:
        report = service.bus.handle(
            ImportRoster(shifts=tuple(parsed.shifts), source="csv"), actor=local_actor(by)
        )
    assert isinstance(report, RosterReport)
    if as_json:
        print_json(
            {
                "members": report.members,
                "shifts": report.shifts,
                "created": report.created,
                "linked_to_contacts": report.linked_to_contacts,
                "unreachable": report.unreachable,
            }
        )
        return
    shifts, members = (
        counted(report.shifts, "créneau", "créneaux"),
        counted(report.members, "membre"),
    )
    typer.echo(f"Astreinte importée : {shifts}, {members}.")
    if report.linked_to_contacts:
        typer.echo("Reliés à l'annuaire : " + ", ".join(report.linked_to_contacts))
    if report.unreachable:
        typer.echo("Attention, sans moyen de contact : " + ", ".join(report.unreachable))


@oncall_app.command("now")
def oncall_now(
    at: Annotated[
        str | None, typer.Option(help="Instant ISO 8601 ; par défaut maintenant.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Qui est d'astreinte, rôle par rôle (--json : une liste, [] si personne)."""
    from crisis.french import long_datetime
    from crisis.services.oncall_views import on_call_now

    with open_service() as service, service.bus.unit_of_work() as uow:
        found = on_call_now(uow, parse_instant(at, "at") or service.clock.now())
    if as_json:
        print_json(found)
        return
    if not found:
        typer.echo("Personne n'est d'astreinte.")
    for item in found:
        until = long_datetime(datetime.fromisoformat(item["ends_at"]))
        typer.echo(f"{item['role_label']} : {item['name']} (jusqu'au {until})")


@oncall_app.command("bind-code")
def oncall_bind_code(
    member: Annotated[str, typer.Argument(help="Nom ou identifiant du membre.")],
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Code à usage unique : le membre envoie « /start CODE » au bot Telegram."""
    from crisis.domain.oncall import IssueBindCode
    from crisis.french import long_datetime

    with open_service() as service:
        result = service.bus.handle(IssueBindCode(member=member), actor=local_actor(by))
    if as_json:
        print_json({**result, "expires_at": result["expires_at"].isoformat()})
        return
    typer.echo(
        f"Code pour {result['member']} : {result['code']} "
        f"(valable jusqu'au {long_datetime(result['expires_at'])}, une seule fois)."
    )
    typer.echo(f"À envoyer au bot Telegram : /start {result['code']}")


# -- crisis callout -------------------------------------------------------------------------


def callout(
    crisis_id: CrisisArgument,
    team: Annotated[Team, typer.Option(help="Équipe appelée : cell ou cip.")] = Team.CELL,
    reason: Annotated[str, typer.Option(help="Motif.")] = "sur ordre",
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Appeler l'astreinte : chaque membre d'astreinte reçoit un appel à acquitter."""
    from crisis.domain.oncall import StartCallout
    from crisis.services.oncall_views import callouts_view

    with open_service() as service:
        service.bus.handle(
            StartCallout(crisis_id=crisis_id, team=team, reason=reason), actor=local_actor(by)
        )
        with service.bus.unit_of_work() as uow:
            views = callouts_view(uow, crisis_id)
    view = next(v for v in views if v["team"] == team.value)
    if as_json:
        print_json(view)
        return
    typer.echo(f"Appel lancé : {counted(len(view['pages']), 'membre appelé', 'membres appelés')}.")
    for page in view["pages"]:
        typer.echo(f"  • {page['role']} : {page['name']}")


# -- crisis cip -----------------------------------------------------------------------------


def _print_cip(service: Service, crisis_id: str, as_json: bool, done: str) -> None:
    from crisis.services.oncall_views import cip_view

    with service.bus.unit_of_work() as uow:
        view = cip_view(uow, crisis_id)
    if as_json:
        print_json(view)
        return
    typer.echo(done)
    if view is not None:
        typer.echo(f"  numéro unique : {view['numero_unique']}")


@cip_app.command("activate")
def cip_activate(
    crisis_id: CrisisArgument,
    nu: Annotated[str, typer.Option("--nu", help="Numéro unique, ex. « 01 69 91 91 91 ».")],
    at: Annotated[str | None, typer.Option(help="Instant de l'ordre du préfet, ISO 8601.")] = None,
    by: Annotated[str | None, typer.Option(help="Qui a ordonné (par défaut : vous).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer l'ordre du préfet d'activer la CIP : horloge `cip`, appel des opérateurs."""
    from crisis.domain.oncall import OrderCip

    actor = local_actor(by)
    with open_service() as service:
        service.bus.handle(
            OrderCip(
                crisis_id=crisis_id,
                numero_unique=nu,
                ordered_by=actor.name,
                ordered_at=parse_instant(at, "at"),
            ),
            actor=actor,
        )
        _print_cip(service, crisis_id, as_json, "CIP activée : l'horloge `cip` est lancée.")


@cip_app.command("operational")
def cip_operational(
    crisis_id: CrisisArgument,
    at: Annotated[str | None, typer.Option(help="Instant, ISO 8601.")] = None,
    note: Annotated[str, typer.Option(help="Précision.")] = "",
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Déclarer la CIP opérationnelle ; le numéro unique est publié."""
    from crisis.domain.oncall import DeclareCipOperational

    with open_service() as service:
        service.bus.handle(
            DeclareCipOperational(
                crisis_id=crisis_id, declared_at=parse_instant(at, "at"), note=note
            ),
            actor=local_actor(by),
        )
        _print_cip(service, crisis_id, as_json, "CIP déclarée opérationnelle.")


@cip_app.command("deactivate")
def cip_deactivate(
    crisis_id: CrisisArgument,
    reason: Annotated[str, typer.Option(help="Motif de la fermeture.")],
    at: Annotated[str | None, typer.Option(help="Instant, ISO 8601.")] = None,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fermer la CIP ; la fermeture est publiée."""
    from crisis.domain.oncall import DeactivateCip

    with open_service() as service:
        service.bus.handle(
            DeactivateCip(
                crisis_id=crisis_id, reason=reason, deactivated_at=parse_instant(at, "at")
            ),
            actor=local_actor(by),
        )
        _print_cip(service, crisis_id, as_json, "CIP fermée.")


# -- crisis bot -----------------------------------------------------------------------------


def bot(
    polling: Annotated[
        bool, typer.Option("--polling", help="Mode développement : getUpdates en boucle.")
    ] = False,
    set_webhook: Annotated[
        bool,
        typer.Option(
            "--set-webhook", help="Déclarer CRISIS_TELEGRAM_WEBHOOK_URL à Telegram, puis sortir."
        ),
    ] = False,
) -> None:
    """Le bot Telegram d'astreinte (en production : webhook servi par `crisis serve`)."""
    from crisis.oncall.bot import bot_for

    with open_service() as service:
        telegram = bot_for(service, polling=polling)
        if telegram is None:
            fail("aucun canal Telegram n'est configuré (fichier des canaux).", EXIT_INVALID)
        if set_webhook:
            settings = service.settings
            if not settings.telegram_webhook_url or settings.telegram_webhook_secret is None:
                fail(
                    "définissez CRISIS_TELEGRAM_WEBHOOK_URL et CRISIS_TELEGRAM_WEBHOOK_SECRET.",
                    EXIT_INVALID,
                )
            telegram.set_webhook(
                settings.telegram_webhook_url, settings.telegram_webhook_secret.get_secret_value()
            )
            telegram.stop()
            typer.echo(f"Webhook déclaré : {settings.telegram_webhook_url}")
            return
        if not polling:
            fail(
                "en production, le bot est servi par `crisis serve` (POST /telegram/webhook) ; "
                "--polling pour le développement.",
                EXIT_INVALID,
            )
        typer.echo("Bot Telegram en mode polling (Ctrl-C pour arrêter).", err=True)
        try:
            telegram.delete_webhook()
            while True:
                telegram.poll_once(timeout=25)
        finally:
            telegram.stop()
