"""`crisis drill schedule …` (the exercise programme) and `crisis drill live` (a drill in real
time with people). Mounted on `drill_app` by drills/cli.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from crisis.cli.files import output_folder, write_bytes
from crisis.cli.support import (
    EXIT_FAILURE,
    EXIT_INVALID,
    JsonOption,
    fail,
    local_actor,
    open_service,
    print_json,
)
from crisis.domain.vocabulary import DrillMode

schedule_app = typer.Typer(
    help="Programme d'exercices : exercices récurrents tenus par l'ordonnanceur.",
    no_args_is_help=True,
)


def _print_entry(view: dict[str, Any]) -> None:
    typer.echo(f"{view['id']}  {view['name']} — {view['scenario_title']}")
    kind = "cron standard" if view["rule_kind"] == "cron" else "RRULE"
    typer.echo(
        f"  règle {kind} « {view['rule']} », préavis {view['notice_days']} j, "
        f"mode {view['mode_label']}"
    )
    for upcoming in view["next"]:
        typer.echo(f"  • {upcoming['label']}")
    if not view["next"]:
        typer.echo("  • plus aucun exercice à venir")


@schedule_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Nom de l'entrée du programme.")],
    scenario: Annotated[str, typer.Option(help="Fichier ou nom de scénario fourni.")],
    rrule: Annotated[
        str | None, typer.Option(help="Règle RFC 5545, ex. FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10")
    ] = None,
    cron: Annotated[
        str | None,
        typer.Option(
            help="Expression cron standard à 5 champs (0 et 7 = dimanche, 1 = lundi ; noms "
            "français ou anglais), ex. « 0 10 * * lun » : chaque lundi à 10 h."
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Début du programme, ISO 8601 ; par défaut maintenant.")
    ] = None,
    notice_days: Annotated[int, typer.Option(help="Préavis aux participants, en jours.")] = 7,
    mode: Annotated[DrillMode, typer.Option(help="unattended ou live.")] = DrillMode.UNATTENDED,
    as_json: JsonOption = False,
) -> None:
    """Programmer un exercice récurrent (heure de Paris)."""
    from crisis.domain.programme import AddDrillSchedule, DrillSchedule
    from crisis.services.programme_views import schedule_view

    if (rrule is None) == (cron is None):
        fail("indiquez soit --rrule, soit --cron.", EXIT_INVALID)
    starts_at: datetime | None = None
    if start is not None:
        try:
            starts_at = datetime.fromisoformat(start)
        except ValueError:
            starts_at = None
        if starts_at is None or starts_at.tzinfo is None:
            fail("--start attend un instant ISO 8601 avec décalage.", EXIT_INVALID)
    ref = scenario
    if Path(scenario).is_file():
        ref = str(Path(scenario).resolve())
    with open_service() as service:
        created: DrillSchedule = service.bus.handle(
            AddDrillSchedule(
                name=name,
                scenario=ref,
                rrule=rrule,
                cron=cron,
                starts_at=starts_at,
                notice_days=notice_days,
                mode=mode,
            ),
            actor=local_actor(None),
        )
        view = schedule_view(created, now=service.clock.now())
    if as_json:
        print_json(view)
        return
    typer.echo("Exercice programmé :")
    _print_entry(view)


@schedule_app.command("list")
def list_entries(as_json: JsonOption = False) -> None:
    """Le programme, avec les trois prochains exercices de chaque entrée."""
    from crisis.services.programme_views import programme_view

    with open_service() as service, service.bus.unit_of_work() as uow:
        views = programme_view(uow, now=service.clock.now())
    if as_json:
        print_json(views)
        return
    if not views:
        typer.echo("Aucun exercice programmé.")
    for view in views:
        _print_entry(view)


@schedule_app.command("remove")
def remove(schedule_id: Annotated[str, typer.Argument(help="Identifiant de l'entrée.")]) -> None:
    """Retirer une entrée du programme (son historique reste au journal)."""
    from crisis.domain.programme import RemoveDrillSchedule

    with open_service() as service:
        service.bus.handle(RemoveDrillSchedule(schedule_id=schedule_id), actor=local_actor(None))
    typer.echo(f"Entrée {schedule_id} retirée du programme.")


@schedule_app.command("ical")
def ical(
    out: Annotated[Path | None, typer.Option(help="Fichier .ics ; par défaut la sortie.")] = None,
    count: Annotated[int, typer.Option(min=1, max=500, help="Exercices par entrée.")] = 10,
) -> None:
    """Exporter les prochains exercices au format iCalendar."""
    from crisis.services.programme_views import programme_ical

    with open_service() as service, service.bus.unit_of_work() as uow:
        data = programme_ical(uow, now=service.clock.now(), count=count)
    if out is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    write_bytes(out, data)
    typer.echo(f"Calendrier écrit : {out}")


def live(
    scenario: Annotated[str, typer.Argument(help="Fichier ou nom de scénario.")],
    out: Annotated[Path, typer.Option(help="Dossier des rapports.")] = Path("rapport-exercice"),
    fail_on_miss: Annotated[
        bool, typer.Option("--fail-on-miss", help="Code 1 si une cible n'est pas tenue.")
    ] = False,
) -> None:
    """Jouer un scénario en temps réel, avec les participants, sur les canaux d'exercice."""
    from crisis.reporting.document import clock_line
    from crisis.services.scenario_library import load_scenario_ref
    from drills.live import LiveDrill, LiveDrillError

    output_folder(out)
    with open_service(run_dispatcher=True) as service:
        with service.bus.unit_of_work() as uow:
            loaded = load_scenario_ref(scenario, uow)
        drill = LiveDrill(loaded, bus=service.bus, clock=service.clock)
        if loaded.actions:
            typer.echo(
                f"{len(loaded.actions)} action(s) simulée(s) du scénario ne seront pas jouées : "
                "en direct, ce sont les joueurs qui agissent."
            )
        try:
            result = drill.run(out)
        except LiveDrillError as error:
            for problem in error.problems:
                typer.echo(f"Erreur : {problem}", err=True)
            raise typer.Exit(EXIT_INVALID) from None
    typer.echo(f"Exercice en direct terminé : {result.injects_sent} inject(s) envoyé(s).")
    for clock in result.report.clocks:
        typer.echo(clock_line(clock))
    typer.echo(f"Rapports : {', '.join(str(f) for f in result.files)}")
    if fail_on_miss and result.missed:
        typer.echo("Une cible au moins n'est pas tenue.", err=True)
        raise typer.Exit(EXIT_FAILURE)
