"""`crisis indicateurs` (the Qual-e-Pref indicators pack) and `crisis retex` (the retour
d'expérience of a closed event): on the same views and commands as the API."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crisis.cli.files import read_text, write_bytes
from crisis.cli.support import (
    EXIT_BROKEN_CHAIN,
    EXIT_INVALID,
    ByOption,
    CrisisArgument,
    JsonOption,
    fail,
    local_actor,
    open_service,
    print_json,
)
from crisis.domain.vocabulary import ActionState
from crisis.reporting.formats import IndicatorsFormat

if TYPE_CHECKING:
    from crisis.services.retex_input import CorrectiveActionWrite, RetexWrite
    from crisis.services.retex_views import RetexView

retex_app = typer.Typer(
    help="Retour d'expérience (RETEX) d'un événement ou d'un exercice clos.",
    no_args_is_help=True,
)
BINARY = (IndicatorsFormat.PDF, IndicatorsFormat.XLSX)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} : date invalide (AAAA-MM-JJ attendu, ex. 2026-01-01)", EXIT_INVALID)


def indicateurs(
    du: Annotated[str, typer.Option("--du", help="Premier jour inclus (AAAA-MM-JJ).")],
    au: Annotated[str, typer.Option("--au", help="Dernier jour inclus (AAAA-MM-JJ).")],
    fmt: Annotated[
        IndicatorsFormat, typer.Option("--format", help="Format du dossier.")
    ] = IndicatorsFormat.JSON,
    out: Annotated[Path | None, typer.Option(help="Fichier à écrire ; sinon la sortie.")] = None,
) -> None:
    """Indicateurs Qual-e-Pref (engagements 47 à 50) d'une période, d'après le journal."""
    from crisis.reporting.indicators_render import render_indicators
    from crisis.reporting.indicators_service import indicators_view

    first, last = _day(du, "--du"), _day(au, "--au")
    with open_service() as service, service.bus.unit_of_work() as uow:
        pack = indicators_view(uow, first=first, last=last, now=service.clock.now())
    document = render_indicators(pack, fmt, service=service.settings.prefecture_name)
    if out is None:
        if fmt in BINARY:
            fail(f"le format {fmt.value} demande --out FICHIER", EXIT_INVALID)
        sys.stdout.write(document.decode("utf-8"))
    else:
        write_bytes(out, document)
        typer.echo(f"Indicateurs écrits dans {out} ({len(document)} octets).")
    broken = [c for c in pack.chains if not c.ok]
    if broken:
        # The pack is written (it shows and excludes each broken chain); the code says so.
        for chain in broken:
            typer.echo(
                f"Chaîne du journal rompue : {chain.chain}, à l'entrée n° "
                f"{chain.first_broken_seq} ({chain.reason}) : exclue des indicateurs.",
                err=True,
            )
        raise typer.Exit(EXIT_BROKEN_CHAIN)


def _print_retex(retex: RetexView) -> None:
    typer.echo(f"Retour d'expérience, version {retex.version} ({retex.recorded_by})")
    typer.echo(f"  Ce qui a fonctionné : {retex.worked or '—'}")
    typer.echo(f"  Ce qui n'a pas fonctionné : {retex.did_not_work or '—'}")
    if not retex.actions:
        typer.echo("  Aucune action corrective.")
    for action in retex.actions:
        typer.echo(
            f"  • [{action.state_label}] {action.description} — {action.owner}, "
            f"échéance {action.due_date:%d/%m/%Y} (identifiant {action.action_id})"
        )


def _show(crisis_id: str, as_json: bool) -> None:
    from crisis.services.retex_views import current_retex

    with open_service() as service, service.bus.unit_of_work() as uow:
        uow.crises.get(crisis_id)
        retex = current_retex(crisis_id, uow.journal.entries(crisis_id))
    if as_json:
        print_json(retex.model_dump(mode="json") if retex else None)
    elif retex is None:
        typer.echo("Aucun retour d'expérience enregistré pour cet événement.")
    else:
        _print_retex(retex)


@retex_app.command("show")
def retex_show(crisis_id: CrisisArgument, as_json: JsonOption = False) -> None:
    """Afficher le retour d'expérience d'un événement."""
    _show(crisis_id, as_json)


def _parse_action(text: str) -> CorrectiveActionWrite:
    from crisis.services.retex_input import CorrectiveActionWrite

    parts = [p.strip() for p in text.split(";")]
    if len(parts) not in (3, 4):
        fail(
            "--action : « description ; responsable ; AAAA-MM-JJ [; a_faire|en_cours|faite] »",
            EXIT_INVALID,
        )
    try:
        return CorrectiveActionWrite(
            description=parts[0],
            owner=parts[1],
            due_date=_day(parts[2], "--action"),
            state=ActionState(parts[3]) if len(parts) == 4 else ActionState.TODO,
        )
    except ValueError:
        fail("--action : état inconnu (a_faire, en_cours ou faite)", EXIT_INVALID)


def _from_file(path: Path) -> RetexWrite:
    import yaml
    from pydantic import ValidationError

    from crisis.services.retex_input import RetexWrite

    try:
        data = yaml.safe_load(read_text(path))
        return RetexWrite.model_validate(data)
    except yaml.YAMLError as error:
        fail(f"{path} : YAML ou JSON illisible ({error})", EXIT_INVALID)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])} : {e['msg']}" for e in error.errors()
        )
        fail(f"{path} : {problems}", EXIT_INVALID)


@retex_app.command("record")
def retex_record(
    crisis_id: CrisisArgument,
    worked: Annotated[str, typer.Option("--fonctionne", help="Ce qui a fonctionné.")] = "",
    did_not_work: Annotated[
        str, typer.Option("--a-ameliorer", help="Ce qui n'a pas fonctionné.")
    ] = "",
    action: Annotated[
        list[str] | None,
        typer.Option(
            "--action", help="« description ; responsable ; AAAA-MM-JJ [; état] », répétable."
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--fichier",
            help="RETEX complet en YAML ou JSON (comme « retex show --json ») : pour le modifier.",
        ),
    ] = None,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer (ou remplacer par une nouvelle version) le RETEX d'un événement clos."""
    from crisis.services.retex_input import RetexWrite

    if from_file is not None:
        body = _from_file(from_file)
    else:
        body = RetexWrite(
            worked=worked,
            did_not_work=did_not_work,
            actions=[_parse_action(a) for a in action or []],
        )
    with open_service() as service:
        service.bus.handle(body.command(crisis_id), actor=local_actor(by))
    if not as_json:
        typer.echo("Retour d'expérience enregistré.")
    _show(crisis_id, as_json)


@retex_app.command("action")
def retex_action(
    crisis_id: CrisisArgument,
    action_id: Annotated[
        str, typer.Argument(help="Identifiant de l'action corrective (voir crisis retex show).")
    ],
    state: Annotated[ActionState, typer.Option("--etat", help="Nouvel état de l'action.")],
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Changer l'état d'une action corrective : a_faire, en_cours ou faite."""
    from crisis.domain.retex import UpdateRetexAction

    with open_service() as service:
        service.bus.handle(
            UpdateRetexAction(crisis_id=crisis_id, action_id=action_id, state=state),
            actor=local_actor(by),
        )
    if not as_json:
        typer.echo("Action corrective mise à jour.")
    _show(crisis_id, as_json)
