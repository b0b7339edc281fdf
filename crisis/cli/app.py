"""The `crisis` command: the same service layer as the API, on the configured database."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import OperationalError

from crisis.bootstrap import SchedulerMode
from crisis.cli import french
from crisis.cli.audit import audit_app
from crisis.cli.channels import channels_app
from crisis.cli.contacts import contacts_app
from crisis.cli.demo import demo
from crisis.cli.drills import drill_app
from crisis.cli.files import write_bytes
from crisis.cli.indicators import indicateurs, retex_app
from crisis.cli.messages import messages_app
from crisis.cli.oncall import bot, callout, cip_app, oncall_app
from crisis.cli.operations import register as register_operations
from crisis.cli.secrets import secrets_app
from crisis.cli.support import (
    EXIT_INVALID,
    EXIT_UNAVAILABLE,
    CrisisArgument,
    JsonOption,
    database_unreachable,
    fail,
    local_actor,
    open_service,
    parse_instant,
    print_json,
    settings_or_fail,
)
from crisis.cli.templates import templates_app
from crisis.cli.users import db_app, user_app
from crisis.domain.commands import (
    CloseCrisis,
    CodDecision,
    DeclareCellOperational,
    OpenCrisis,
    RecordDelivery,
)
from crisis.domain.vocabulary import (
    CLOCK_LABELS,
    CLOCK_STATE_LABELS,
    CRISIS_KIND_LABELS,
    CRISIS_STATE_LABELS,
    Audience,
    CrisisKind,
)
from crisis.french import long_datetime
from crisis.labels import audience_label, channel_label
from crisis.ops.process import configure_process_logging, port_taken, start_long_running
from crisis.reporting.render import ReportFormat
from crisis.reporting.summary import entry_summary, journal_label
from crisis.secret_strength import weak_secrets
from crisis.services.views import CrisisView, crisis_view, status_json
from crisis.settings import SettingsError, load_settings

# The framework's own words (help layout, usage errors) in French, before any help is shown.
french.install()

app = typer.Typer(
    help="Communication de crise d'une préfecture (Qual-e-Pref, module 7).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(templates_app, name="templates", help="Modèles de messages.")
app.add_typer(contacts_app, name="contacts")
app.add_typer(drill_app, name="drill")
app.add_typer(messages_app, name="messages")
app.add_typer(oncall_app, name="oncall")
app.add_typer(cip_app, name="cip")
app.command("callout")(callout)
app.command("bot")(bot)
app.add_typer(channels_app, name="channels")
app.add_typer(secrets_app, name="secrets")
app.add_typer(retex_app, name="retex")
app.command("indicateurs")(indicateurs)
app.command("demo")(demo)


def _print_status(view: CrisisView) -> None:
    kind = CRISIS_KIND_LABELS[view.kind]
    marker = " — EXERCICE" if view.exercise else ""
    typer.echo(f"{view.title} ({kind}){marker}")
    typer.echo(f"  identifiant : {view.crisis_id}")
    typer.echo(f"  état : {CRISIS_STATE_LABELS[view.state]}")
    if view.activation is not None:
        ref = view.activation.synergi_ref or "sans référence"
        typer.echo(
            f"  COD activé le {long_datetime(view.activation.decided_at)} "
            f"par {view.activation.decided_by} (SYNERGI : {ref})"
        )
    for clock in view.clocks:
        line = f"  • {CLOCK_LABELS[clock.name]} : {CLOCK_STATE_LABELS[clock.state]}"
        line += f", échéance {long_datetime(clock.deadline)}"
        if clock.met_at is not None:
            line += f", atteint le {long_datetime(clock.met_at)}"
        typer.echo(line)
    if view.closed_at is not None:
        typer.echo(f"  clos le {long_datetime(view.closed_at)} : {view.close_reason}")


# uvicorn kills a worker process that does not answer its parent's ping within this many
# seconds. Its default, 5, is shorter than a worker's start on a busy two-core machine (the
# imports alone take several seconds there): every worker was killed before it could serve.
WORKER_HEALTHCHECK_SECONDS = 60


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Adresse d'écoute.")] = None,
    port: Annotated[int | None, typer.Option(help="Port d'écoute.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Processus servant l'API (PostgreSQL conseillé au-delà de 1) ; l'ordonnanceur "
            "et le répartiteur tournent une seule fois, dans le processus parent.",
        ),
    ] = 1,
) -> None:
    """Lancer l'API, l'ordonnanceur et le répartiteur des diffusions."""
    import uvicorn

    from crisis.api.app import create_app

    configured = settings_or_fail()
    configure_process_logging(configured, default_level="INFO")
    weak = weak_secrets(configured)
    if weak:  # before anything starts: no /metrics open to all, no forgeable webhook
        fail(
            "secrets refusés — " + " ; ".join(weak) + ". Des valeurs neuves : "
            "« crisis secrets generate ».",
            EXIT_INVALID,
        )
    host, port = host or configured.host, port or configured.port
    taken = port_taken(host, port)
    if taken is not None:  # before anything starts (see `port_taken`)
        fail(taken, EXIT_INVALID)
    with open_service(SchedulerMode.RUN, run_dispatcher=True) as service:
        settings = service.settings
        start_long_running(settings, service.engine, service.metrics, worker=settings.worker_name)
        # Our logging, set up above, serves uvicorn's loggers too; the request lines come from
        # our middleware, with their request id.
        if workers == 1:
            uvicorn.run(
                create_app(service),
                host=host,
                port=port,
                log_config=None,
                access_log=False,
                proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips,
            )
        else:
            uvicorn.run(
                "crisis.api.processes:worker_app",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_config=None,
                access_log=False,
                proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            )


@app.command()
def activate(
    title: Annotated[str, typer.Option(help="Titre de l'événement.")],
    kind: Annotated[CrisisKind, typer.Option(help="Nature de l'événement.")],
    synergi: Annotated[str | None, typer.Option(help="Référence SYNERGI de la décision.")] = None,
    decided_at: Annotated[
        str | None, typer.Option(help="Instant de la décision, ISO 8601 avec décalage.")
    ] = None,
    exercise: Annotated[bool, typer.Option("--exercise", help="Exercice.")] = False,
    by: Annotated[str | None, typer.Option(help="Qui a décidé (par défaut : vous).")] = None,
    commune: Annotated[list[str] | None, typer.Option(help="Commune touchée (répétable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Ouvrir un événement et enregistrer l'activation du COD : les horloges démarrent."""
    actor = local_actor(by)
    command = OpenCrisis(
        title=title,
        kind=kind,
        exercise=exercise,
        communes=tuple(commune or ()),
        activation=CodDecision(
            decided_by=actor.name,
            synergi_ref=synergi,
            decided_at=parse_instant(decided_at, "decided_at"),
        ),
    )
    with open_service() as service:
        crisis_id = service.bus.handle(command, actor=actor)
        with service.bus.unit_of_work() as uow:
            view = crisis_view(uow.crises.get(crisis_id))
    if as_json:
        print_json({"crisis_id": crisis_id})
        return
    typer.echo("COD activé : les horloges sont lancées.")
    _print_status(view)


@app.command()
def status(crisis_id: CrisisArgument, as_json: JsonOption = False) -> None:
    """État d'un événement et de ses horloges."""
    with open_service() as service, service.bus.unit_of_work() as uow:
        view = crisis_view(uow.crises.get(crisis_id))
    if as_json:
        print_json(status_json(view))
    else:
        _print_status(view)


@app.command("list")
def list_crises(
    active: Annotated[bool, typer.Option("--active", help="Seulement les non clos.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Lister les événements."""
    from crisis.domain.vocabulary import CrisisState

    states = [CrisisState.REPORTED, CrisisState.COD_ACTIVE] if active else None
    with open_service() as service, service.bus.unit_of_work() as uow:
        views = [crisis_view(c) for c in uow.crises.find(states=states)]
    if as_json:
        print_json([status_json(v) | {"title": v.title} for v in views])
        return
    if not views:
        typer.echo("Aucun événement.")
    for view in views:
        marker = " [EXERCICE]" if view.exercise else ""
        typer.echo(f"{view.crisis_id}  {CRISIS_STATE_LABELS[view.state]:<10}  {view.title}{marker}")


def _write(
    build: Callable[[], Any], crisis_id: str, by: str | None, as_json: bool, done: str
) -> None:
    with open_service() as service:
        service.bus.handle(build(), actor=local_actor(by))
        with service.bus.unit_of_work() as uow:
            view = crisis_view(uow.crises.get(crisis_id))
    if as_json:
        print_json(status_json(view))
    else:
        typer.echo(done)
        _print_status(view)


@app.command("cell-operational")
def cell_operational(
    crisis_id: CrisisArgument,
    at: Annotated[
        str | None, typer.Option(help="Instant, ISO 8601 ; par défaut maintenant.")
    ] = None,
    note: Annotated[str, typer.Option(help="Précision.")] = "",
    by: Annotated[str | None, typer.Option(help="Qui déclare.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Déclarer la cellule de communication opérationnelle."""
    _write(
        lambda: DeclareCellOperational(
            crisis_id=crisis_id, declared_at=parse_instant(at, "at"), note=note
        ),
        crisis_id,
        by,
        as_json,
        "Cellule déclarée opérationnelle.",
    )


@app.command("delivery")
def delivery(
    crisis_id: CrisisArgument,
    audience: Annotated[Audience, typer.Option(help="Public atteint.")],
    at: Annotated[str, typer.Option(help="Instant de la diffusion, ISO 8601.")],
    means: Annotated[str, typer.Option(help="Moyen : conférence de presse, appels…")],
    recipients: Annotated[str, typer.Option(help="Qui a été informé.")] = "",
    by: Annotated[str | None, typer.Option(help="Qui enregistre.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer une diffusion faite hors service."""
    instant = parse_instant(at, "at")
    assert instant is not None
    _write(
        lambda: RecordDelivery(
            crisis_id=crisis_id,
            audience=audience,
            delivered_at=instant,
            means=means,
            recipients=recipients,
        ),
        crisis_id,
        by,
        as_json,
        "Diffusion enregistrée.",
    )


@app.command()
def close(
    crisis_id: CrisisArgument,
    reason: Annotated[str, typer.Option(help="Motif de la clôture.")],
    by: Annotated[str | None, typer.Option(help="Qui clôt.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Clore un événement."""
    _write(
        lambda: CloseCrisis(crisis_id=crisis_id, reason=reason),
        crisis_id,
        by,
        as_json,
        "Événement clos.",
    )


def journal(crisis_id: CrisisArgument, as_json: JsonOption = False) -> None:
    """Main courante d'un événement, dans l'ordre."""
    with open_service() as service, service.bus.unit_of_work() as uow:
        uow.crises.get(crisis_id)
        entries = uow.journal.entries(crisis_id)
    if as_json:
        print_json(
            [
                {
                    "seq": e.seq,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "kind": e.kind,
                    "payload": e.payload,
                    "hash": e.hash,
                }
                for e in entries
            ]
        )
        return
    for entry in entries:
        what = journal_label(entry.kind)
        detail = entry_summary(entry)
        line = f"{entry.seq:>5}  {long_datetime(entry.at)}  {entry.actor}  {what}"
        typer.echo(f"{line} — {detail}" if detail else line)


@app.command()
def worker(
    name: Annotated[
        str | None,
        typer.Option(help="Nom stable du répartiteur : au redémarrage, il reprend ses diffusions."),
    ] = None,
) -> None:
    """Lancer seulement le répartiteur des diffusions (pour monter en charge)."""
    from crisis.dispatching import (
        WorkerNameTakenError,
        hold_worker_name,
        make_dispatcher,
        run_in_foreground,
    )
    from crisis.fanout_runner import FanoutRunner

    configure_process_logging(settings_or_fail(), default_level="INFO")
    with open_service() as service:
        worker_name = name or service.settings.worker_name
        try:
            lock = hold_worker_name(service.engine, worker_name)
        except WorkerNameTakenError as error:
            fail(str(error), EXIT_INVALID)
        start_long_running(service.settings, service.engine, service.metrics, worker=worker_name)
        dispatcher = make_dispatcher(
            service.bus,
            service.catalog,
            clock=service.clock,
            worker=worker_name,
            metrics=service.metrics,
        )
        # Fan-outs that an API process left to the background are continued here too.
        fanouts = FanoutRunner(service.bus)
        fanouts.start()
        typer.echo(f"Répartiteur « {worker_name} » démarré.", err=True)
        try:
            run_in_foreground(dispatcher, service.catalog)
        finally:
            fanouts.stop()
            lock.release()


@app.command()
def deliveries(crisis_id: CrisisArgument, as_json: JsonOption = False) -> None:
    """Les messages d'un événement et l'état de chacune de leurs diffusions."""
    from crisis.services.message_views import counts_of, message_board

    with open_service() as service, service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        boards = []
        messages = uow.outbox.messages_of(crisis_id)
        unfinished = uow.fanouts.unfinished_among([m.id for m in messages])
        for message in messages:
            # Every delivery for --json; the text shows only the counts.
            rows = uow.outbox.deliveries_of(message_id=message.id) if as_json else []
            counts = counts_of(rows) if as_json else uow.outbox.counts(message_id=message.id)
            complete = message.id not in unfinished
            boards.append(message_board(message, counts, rows, next_after=None, complete=complete))
        manual = uow.crises.manual_deliveries(crisis_id)
    if as_json:
        print_json(
            {
                "crisis_id": crisis_id,
                "messages": [b.model_dump(mode="json") for b in boards],
                "manual": [
                    {
                        "delivery_id": d.id,
                        "audience": d.audience.value,
                        "delivered_at": d.delivered_at.isoformat(),
                        "means": d.means,
                    }
                    for d in manual
                ],
            }
        )
        return
    if not boards and not manual:
        typer.echo("Aucune diffusion pour cet événement.")
    for board in boards:
        totals = ", ".join(f"{STATUS_LABELS.get(k, k)} : {v}" for k, v in board.totals.items())
        typer.echo(f"Message {board.message_id} ({long_datetime(board.created_at)}) — {totals}")
        if not board.complete:
            typer.echo("  Mise en file en cours en arrière-plan : les comptes grandissent encore.")
        for channel, by_status in board.by_channel.items():
            detail = ", ".join(f"{STATUS_LABELS.get(k, k)} {v}" for k, v in by_status.items())
            typer.echo(f"  • {channel_label(channel)} : {detail}")
    for item in manual:
        when = long_datetime(item.delivered_at)
        audience = audience_label(item.audience)
        typer.echo(f"Diffusion hors service ({audience}) le {when} : {item.means}")


STATUS_LABELS = {
    "pending": "en attente",
    "in_flight": "en cours",
    "accepted": "acceptées",
    "failed": "en échec",
    "refused": "refusées",
}


@app.command()
def report(
    crisis_id: CrisisArgument,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Format du rapport.")] = (
        ReportFormat.HTML
    ),
    out: Annotated[Path | None, typer.Option(help="Fichier à écrire ; sinon la sortie.")] = None,
) -> None:
    """Rapport de chronométrage d'un événement ou d'un exercice, calculé d'après le journal."""
    from crisis.reporting.render import render
    from crisis.reporting.service import crisis_report

    with open_service() as service, service.bus.unit_of_work() as uow:
        timing = crisis_report(uow, crisis_id, now=service.clock.now())
    document = render(timing, fmt)
    if out is None:
        if fmt is ReportFormat.PDF:
            fail("le format pdf demande --out FICHIER", EXIT_INVALID)
        sys.stdout.write(document.decode("utf-8"))
        return
    write_bytes(out, document)
    typer.echo(f"Rapport écrit dans {out} ({len(document)} octets).")


register_operations(app, journal_show=journal)


def main() -> None:
    try:
        settings = load_settings()  # each wrong setting named, its reason in French
    except SettingsError as error:
        typer.echo(f"Erreur : {error}", err=True)
        sys.exit(EXIT_INVALID)
    configure_process_logging(settings, default_level="WARNING")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except OperationalError as error:
        # A French line rather than a page of traceback, whichever command met it.
        message = database_unreachable(error, settings.resolved_database_url)
        typer.echo(f"Erreur : {message}", err=True)
        sys.exit(EXIT_UNAVAILABLE)
