"""`crisis drill …`: validate and run scenarios, alone on a virtual clock."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crisis.cli.drill_schedule import live, schedule_app
from crisis.cli.files import output_folder
from crisis.cli.support import (
    EXIT_FAILURE,
    EXIT_INVALID,
    ByOption,
    JsonOption,
    local_actor,
    open_service,
    print_json,
)

if TYPE_CHECKING:
    from crisis.bootstrap import Service
    from crisis.domain.programme import DrillClaim, DrillRun
    from drills.model import Scenario

drill_app = typer.Typer(help="Exercices : scénarios, déroulement, programme.", no_args_is_help=True)
# The exercise programme and live drills, beside the unattended runs.
drill_app.add_typer(schedule_app, name="schedule")
drill_app.command("live")(live)
# How often `crisis drill play` looks whether its drill has ended.
PLAY_POLL_SECONDS = 0.2


def resolve_scenario(ref: str) -> Scenario:
    """A file path, or the name of a bundled scenario (`crue-seine`)."""
    from drills.model import ScenarioError, bundled_scenarios, load_scenario

    path = Path(ref)
    if not path.exists():
        bundled = bundled_scenarios()
        if ref not in bundled:
            known = ", ".join(sorted(bundled))
            typer.echo(
                f"Erreur : scénario introuvable « {ref} » (fichier, ou l'un de : {known}).",
                err=True,
            )
            raise typer.Exit(EXIT_INVALID)
        path = bundled[ref]
    try:
        return load_scenario(path)
    except ScenarioError as error:
        for problem in error.problems:
            typer.echo(f"Erreur : {problem}", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def parse_speed(value: str) -> float | None:
    if value == "max":
        return None
    try:
        speed = float(value)
    except ValueError:
        speed = 0.0
    if speed <= 0:
        typer.echo("Erreur : --speed attend un nombre positif ou « max ».", err=True)
        raise typer.Exit(EXIT_INVALID)
    return speed


def parse_start(value: str) -> datetime:
    try:
        begin = datetime.fromisoformat(value)
    except ValueError:
        begin = None
    if begin is None or begin.tzinfo is None:
        typer.echo("Erreur : --start attend un instant ISO 8601 avec décalage.", err=True)
        raise typer.Exit(EXIT_INVALID)
    return begin


@drill_app.command("list")
def list_scenarios(as_json: JsonOption = False) -> None:
    """Les scénarios fournis avec le service."""
    from drills.model import bundled_scenarios, load_scenario

    found = {name: load_scenario(path) for name, path in sorted(bundled_scenarios().items())}
    if as_json:
        print_json(
            [
                {
                    "name": n,
                    "title": s.title,
                    "duration_minutes": int(s.duration.total_seconds() // 60),
                }
                for n, s in found.items()
            ]
        )
        return
    for name, scenario in found.items():
        typer.echo(f"{name} — {scenario.title}")


@drill_app.command("validate")
def validate(scenario: Annotated[str, typer.Argument(help="Fichier ou nom de scénario.")]) -> None:
    """Vérifier un scénario sans le jouer."""
    loaded = resolve_scenario(scenario)
    typer.echo(
        f"Scénario valide : {loaded.title} ({len(loaded.injects)} injects, "
        f"{len(loaded.actions)} actions simulées, {len(loaded.faults)} pannes)."
    )


@drill_app.command("run")
def run(
    scenario: Annotated[str, typer.Argument(help="Fichier ou nom de scénario.")],
    speed: Annotated[str, typer.Option(help="Accélération (ex. 60) ou « max ».")] = "max",
    out: Annotated[Path, typer.Option(help="Dossier des rapports.")] = Path("rapport-exercice"),
    fail_on_miss: Annotated[
        bool, typer.Option("--fail-on-miss", help="Code 1 si une cible n'est pas tenue.")
    ] = False,
    start: Annotated[
        str | None,
        typer.Option(help="Instant de départ virtuel, ISO 8601 ; par défaut maintenant."),
    ] = None,
) -> None:
    """Jouer un scénario sur une horloge virtuelle, sans personne, et écrire ses rapports."""
    from crisis.bootstrap import bootstrap
    from crisis.clock import SystemClock
    from crisis.reporting.document import clock_line
    from drills.runner import DrillRunner

    loaded = resolve_scenario(scenario)
    virtual_speed = parse_speed(speed)
    output_folder(out)
    begin = SystemClock().now() if start is None else parse_start(start)
    total = int(loaded.duration.total_seconds() // 60)
    with typer.progressbar(length=total + 1, label="Exercice", file=None) as bar:
        shown = 0

        def progress(step: int, _steps: int) -> None:
            nonlocal shown
            bar.update(step + 1 - shown)
            shown = step + 1

        result = DrillRunner(
            loaded,
            start=begin,
            make_service=bootstrap,
            speed=virtual_speed,
            progress=progress,
        ).run(out)
    for clock in result.report.clocks:
        typer.echo(clock_line(clock))
    typer.echo(f"Rapports : {', '.join(str(f) for f in result.files)}")
    if fail_on_miss and result.missed:
        typer.echo("Une cible au moins n'est pas tenue.", err=True)
        raise typer.Exit(EXIT_FAILURE)


def _ended(service: Service, claim: DrillClaim) -> DrillRun:
    """Wait for the end of a drill this process plays (the claim's after-commit hook)."""
    from crisis.domain.programme import RunState

    while True:
        with service.bus.unit_of_work() as uow:
            run = uow.programme.run(claim.schedule_id, claim.occurrence)
        if run is not None and run.state is not RunState.RUNNING:
            return run
        time.sleep(PLAY_POLL_SECONDS)


@drill_app.command("play")
def play(
    scenario: Annotated[
        str, typer.Argument(help="Nom d'un scénario fourni ou déposé, ou fichier.")
    ],
    by: ByOption = None,
) -> None:
    """Jouer maintenant un scénario, comme « Jouer maintenant » de la console : journalisé
    et compté parmi les exercices joués hors programme (engagement 49)."""
    from crisis.domain.programme import PlayDrill, RunState
    from crisis.reporting.document import clock_line
    from crisis.reporting.report_models import TimingReport

    with open_service() as service:
        claim: DrillClaim = service.bus.handle(PlayDrill(scenario=scenario), actor=local_actor(by))
        typer.echo("Exercice lancé sur une horloge virtuelle, dans un service isolé…")
        run = _ended(service, claim)
    if run.state is RunState.FAILED:
        typer.echo(f"Exercice interrompu : {run.error}", err=True)
        raise typer.Exit(EXIT_FAILURE)
    report = Path(claim.report_dir) / "report.json"
    for clock in TimingReport.model_validate_json(report.read_text("utf-8")).clocks:
        typer.echo(clock_line(clock))
    typer.echo(f"Rapports : {claim.report_dir}")
