"""``crisis messages``: prepared messages and the préfet's approval, from the command line.

The CLI acts as a trusted local operator (see the README); ``--by`` names who acts, and the
rule that nobody approves their own message holds on that name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crisis.cli.files import read_text
from crisis.cli.support import (
    EXIT_INVALID,
    ByOption,
    CrisisArgument,
    DraftArgument,
    JsonOption,
    fail,
    local_actor,
    open_service,
    print_json,
)
from crisis.domain.vocabulary import Audience

if TYPE_CHECKING:
    from crisis.bootstrap import Service
    from crisis.services.draft_views import DraftView

messages_app = typer.Typer(
    help="Messages préparés : rédaction, validation du préfet, envoi.", no_args_is_help=True
)


def _show(view: DraftView, as_json: bool) -> None:
    from crisis.french import long_datetime

    if as_json:
        print_json(view.model_dump(mode="json"))
        return
    typer.echo(f"Message préparé {view.draft_id} : {view.state_label}")
    if view.template:
        typer.echo(f"  modèle : {view.template} (version {view.template_version})")
    typer.echo(f"  publics : {', '.join(view.audiences + view.lists)}")
    typer.echo(f"  rédigé par {view.created_by}, le {long_datetime(view.created_at)}")
    if view.decided_by and view.decided_at:
        verb = "refusé" if view.state == "rejected" else "validé"
        typer.echo(f"  {verb} par {view.decided_by}, le {long_datetime(view.decided_at)}")
    if view.rejection_reason:
        typer.echo(f"  raison du refus : {view.rejection_reason}")
    if view.message_id and view.sent_at:
        typer.echo(f"  envoyé le {long_datetime(view.sent_at)} (message {view.message_id})")
    elif view.needs_approval and view.state != "approved":
        typer.echo("  validation du préfet requise avant l'envoi")
    for variant in view.variants:
        typer.echo(f"\n--- {variant['channel']} ({variant['length']} / {variant['limit'] or '∞'})")
        typer.echo(variant["text"])


def _crisis_of(service: Service, draft_id: str) -> str:
    with service.bus.unit_of_work() as uow:
        return uow.drafts.get(draft_id).crisis_id


def _act(draft_id: DraftArgument, build: Any, by: str | None, as_json: bool) -> None:
    from crisis.domain.commands import Command
    from crisis.services.draft_views import draft_view

    with open_service() as service:
        command: Command = build(_crisis_of(service, draft_id))
        service.bus.handle(command, actor=local_actor(by))
        with service.bus.unit_of_work() as uow:
            view = draft_view(uow.drafts.get(draft_id))
    _show(view, as_json)


@messages_app.command("compose")
def compose(
    crisis_id: CrisisArgument,
    template: Annotated[str, typer.Option("--template", help="Nom du modèle.")],
    audience: Annotated[
        list[Audience] | None, typer.Option("--audience", help="Public (répétable).")
    ] = None,
    list_ref: Annotated[
        list[str] | None, typer.Option("--list", help="Liste nommée (répétable).")
    ] = None,
    vars_file: Annotated[
        Path | None, typer.Option("--vars", help="Fichier YAML des variables.", dir_okay=False)
    ] = None,
    example: Annotated[bool, typer.Option("--example", help="Valeurs d'exemple.")] = False,
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="Version du modèle ; par défaut la dernière."),
    ] = None,
    channel: Annotated[list[str] | None, typer.Option("--channel", help="Canal.")] = None,
    msg_type: Annotated[
        str,
        typer.Option(
            "--type",
            help="Nature du message, comme le msgType de CAP : alert (premier message), "
            "update (mise à jour) ou cancel (annulation).",
        ),
    ] = "alert",
    references: Annotated[str | None, typer.Option("--references", help="Message cité.")] = None,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rédiger un message à partir d'un modèle."""
    import yaml

    from crisis.domain.draft_commands import ComposeMessage
    from crisis.services.draft_views import draft_view
    from crisis.templating.errors import TemplateError
    from crisis.templating.registry import TemplateRegistry

    if (vars_file is None) == (not example):
        fail("indiquer soit --vars FICHIER, soit --example", EXIT_INVALID)
    if vars_file is not None:
        try:
            variables = yaml.safe_load(read_text(vars_file, what="le fichier de variables")) or {}
        except yaml.YAMLError as error:
            fail(f"fichier de variables {vars_file} illisible : {error}", EXIT_INVALID)
        if not isinstance(variables, dict):
            fail(f"le fichier {vars_file} doit associer des noms à des valeurs", EXIT_INVALID)
    else:
        try:
            loaded = TemplateRegistry.with_bundled().get(template, version=version)
        except TemplateError as error:  # as the command would say it for --vars
            fail(f"template : {error}", EXIT_INVALID)
        variables = loaded.manifest.examples()
    with open_service() as service:
        draft_id = service.bus.handle(
            ComposeMessage(
                crisis_id=crisis_id,
                template=template,
                version=version,
                variables=variables,
                audiences=tuple(audience or ()),
                lists=tuple(list_ref or ()),
                channels=tuple(channel) if channel else None,
                msg_type=msg_type,
                references_id=references,
            ),
            actor=local_actor(by),
        )
        with service.bus.unit_of_work() as uow:
            view = draft_view(uow.drafts.get(draft_id))
    _show(view, as_json)


@messages_app.command("submit")
def submit(draft_id: DraftArgument, by: ByOption = None, as_json: JsonOption = False) -> None:
    """Soumettre un brouillon à la validation du préfet."""
    from crisis.domain.draft_commands import SubmitDraft

    _act(draft_id, lambda c: SubmitDraft(crisis_id=c, draft_id=draft_id), by, as_json)


@messages_app.command("approve")
def approve(draft_id: DraftArgument, by: ByOption = None, as_json: JsonOption = False) -> None:
    """Valider un message soumis (jamais le sien)."""
    from crisis.domain.draft_commands import ApproveDraft

    _act(draft_id, lambda c: ApproveDraft(crisis_id=c, draft_id=draft_id), by, as_json)


@messages_app.command("reject")
def reject(
    draft_id: DraftArgument,
    reason: Annotated[str, typer.Option("--reason", help="Raison du refus.")],
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Refuser un message soumis, avec la raison."""
    from crisis.domain.draft_commands import RejectDraft

    _act(
        draft_id,
        lambda c: RejectDraft(crisis_id=c, draft_id=draft_id, reason=reason),
        by,
        as_json,
    )


@messages_app.command("send")
def send(draft_id: DraftArgument, by: ByOption = None, as_json: JsonOption = False) -> None:
    """Envoyer un message validé (par l'outbox)."""
    from crisis.domain.draft_commands import SendDraft

    _act(draft_id, lambda c: SendDraft(crisis_id=c, draft_id=draft_id), by, as_json)


@messages_app.command("show")
def show(draft_id: DraftArgument, as_json: JsonOption = False) -> None:
    """Afficher un message préparé, son rendu et l'état de sa validation."""
    from crisis.services.draft_views import draft_view

    with open_service() as service, service.bus.unit_of_work() as uow:
        view = draft_view(uow.drafts.get(draft_id))
    _show(view, as_json)
