"""The commands on events: serve and worker, activate, status, list, the cell, deliveries,
close, report and the journal's main courante (`crisis journal show`).

Each command imports the service when it runs: `crisis status --help` does not load it, and
`crisis status` reads the store without building the service (no channels, bus or metrics).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crisis.cli.files import write_bytes
from crisis.cli.support import (
    EXIT_INVALID,
    CrisisArgument,
    JsonOption,
    fail,
    local_actor,
    open_service,
    parse_instant,
    print_json,
    reading_crises,
    settings_or_fail,
)
from crisis.domain.vocabulary import (
    CLOCK_LABELS,
    CLOCK_STATE_LABELS,
    CRISIS_KIND_LABELS,
    CRISIS_STATE_LABELS,
    Audience,
    CrisisKind,
)
from crisis.reporting.formats import ReportFormat

if TYPE_CHECKING:
    from crisis.services.views import CrisisView


def _print_status(view: CrisisView) -> None:
    from crisis.french import long_datetime

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
    # Only what the refusals below need: a weak secret or a taken port is answered before
    # the application is imported (seconds of processor on a small machine).
    from crisis.ops.logs import configure_process_logging
    from crisis.ops.port_check import port_taken
    from crisis.secret_strength import weak_secrets

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
    import uvicorn

    from crisis.api.app import create_app
    from crisis.bootstrap import SchedulerMode
    from crisis.ops.collector import settle_after_start
    from crisis.ops.process import start_long_running

    with open_service(SchedulerMode.RUN, run_dispatcher=True, settings=configured) as service:
        settings = service.settings
        start_long_running(settings, service.engine, service.metrics, worker=settings.worker_name)
        # Our logging, set up above, serves uvicorn's loggers too; the request lines come from
        # our middleware, with their request id.
        served: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_config": None,
            "access_log": False,
            "proxy_headers": True,
            "forwarded_allow_ips": settings.forwarded_allow_ips,
        }
        if workers == 1:
            application = create_app(service)
            settle_after_start()  # the collector's pauses out of a fan-out's console polls
            uvicorn.run(application, **served)
        else:
            uvicorn.run(
                "crisis.api.processes:worker_app",
                factory=True,
                workers=workers,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                **served,
            )


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
    from crisis.domain.commands import CodDecision, OpenCrisis
    from crisis.services.views import crisis_view

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


def status(crisis_id: CrisisArgument, as_json: JsonOption = False) -> None:
    """État d'un événement et de ses horloges."""
    from crisis.services.views import crisis_view, status_json

    with reading_crises() as crises:
        view = crisis_view(crises.get(crisis_id))
    if as_json:
        print_json(status_json(view))
    else:
        _print_status(view)


def list_crises(
    active: Annotated[bool, typer.Option("--active", help="Seulement les non clos.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Lister les événements."""
    from crisis.domain.vocabulary import CrisisState
    from crisis.services.views import crisis_view, status_json

    states = [CrisisState.REPORTED, CrisisState.COD_ACTIVE] if active else None
    with reading_crises() as crises:
        views = [crisis_view(c) for c in crises.find(states=states)]
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
    from crisis.services.views import crisis_view, status_json

    with open_service() as service:
        service.bus.handle(build(), actor=local_actor(by))
        with service.bus.unit_of_work() as uow:
            view = crisis_view(uow.crises.get(crisis_id))
    if as_json:
        print_json(status_json(view))
    else:
        typer.echo(done)
        _print_status(view)


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
    from crisis.domain.commands import DeclareCellOperational

    _write(
        lambda: DeclareCellOperational(
            crisis_id=crisis_id, declared_at=parse_instant(at, "at"), note=note
        ),
        crisis_id,
        by,
        as_json,
        "Cellule déclarée opérationnelle.",
    )


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
    from crisis.domain.commands import RecordDelivery

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


def close(
    crisis_id: CrisisArgument,
    reason: Annotated[str, typer.Option(help="Motif de la clôture.")],
    by: Annotated[str | None, typer.Option(help="Qui clôt.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Clore un événement."""
    from crisis.domain.commands import CloseCrisis

    _write(
        lambda: CloseCrisis(crisis_id=crisis_id, reason=reason),
        crisis_id,
        by,
        as_json,
        "Événement clos.",
    )


def journal(crisis_id: CrisisArgument, as_json: JsonOption = False) -> None:
    """Main courante d'un événement, dans l'ordre."""
    from crisis.french import long_datetime
    from crisis.reporting.summary import entry_summary, journal_label

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
    from crisis.ops.logs import configure_process_logging
    from crisis.ops.process import start_long_running

    configured = settings_or_fail()
    configure_process_logging(configured, default_level="INFO")
    with open_service(settings=configured) as service:
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


def deliveries(crisis_id: CrisisArgument, as_json: JsonOption = False) -> None:
    """Les messages d'un événement et l'état de chacune de leurs diffusions."""
    from crisis.french import long_datetime
    from crisis.labels import audience_label, channel_label
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
    "cancelled": "annulées",
}


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
