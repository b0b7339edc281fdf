"""The one composition root: settings, clock, store, channels, scheduler and bus wired together."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from channels.registry import close_channels
from crisis.catalog import ChannelCatalog, build_catalog
from crisis.clock import Clock, SystemClock
from crisis.delivery.config import DeliveryConfig, load_delivery_config
from crisis.dispatching import DispatcherThread, make_dispatcher
from crisis.domain.commands import RecordServiceAlert
from crisis.domain.draft_events import DraftApproved, DraftRejected, DraftSubmitted
from crisis.domain.errors import DomainError
from crisis.domain.events import ClockBreached, ClockWarning, CodActivated, Event, MessageSent
from crisis.domain.oncall import AnswerCall, QuorumReached
from crisis.domain.programme import DrillPlayRequested
from crisis.fanout_runner import FanoutRunner
from crisis.ops.logs import register_secrets
from crisis.ops.metrics import Metrics
from crisis.ops.secrets import known_secrets
from crisis.scheduling.announce import Announcer, channel_name
from crisis.scheduling.jobs import ScheduledJobs
from crisis.scheduling.leadership import current_schema, leadership_for
from crisis.scheduling.service_alerts import SentAlert, ServiceAlerts
from crisis.scheduling.supervisor import SchedulerSupervisor
from crisis.scheduling.watch import SchedulerWatch
from crisis.services.alert_handlers import on_clock_alert
from crisis.services.approval_calls import on_draft_decided, on_draft_submitted
from crisis.services.bus import MessageBus
from crisis.services.callout_handlers import on_cod_activated
from crisis.services.cip_handlers import on_quorum_reached
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.services.situation_cache import SituationCache
from crisis.services.template_library import TemplateLibrary
from crisis.settings import Settings, load_settings
from crisis.store.demonstration import is_demonstration
from crisis.store.engine import open_engine as open_engine
from crisis.store.quick_reads import QuickReads
from drills.programme import DrillProgress, drill_starter

if TYPE_CHECKING:
    from channels.voice import CallAnswer

VOICE_ACTOR = Actor(name="appel téléphonique", role="system")


class SchedulerMode(StrEnum):
    RUN = "run"  # the service: it stands for the leadership and fires jobs while it leads
    NONE = "none"  # the CLI, workers, tests: commands only; the leader learns of their deadlines


@dataclass
class Service:
    settings: Settings
    clock: Clock
    engine: Engine
    bus: MessageBus
    catalog: ChannelCatalog
    scheduler: SchedulerSupervisor | None
    metrics: Metrics
    dispatcher: DispatcherThread | None = None
    # A database made by `crisis demo`: local demonstration channels, marked on every page.
    demonstration: bool = False
    fanouts: FanoutRunner | None = None
    # The scheduler's own health (failures, sweep heartbeat), when this service runs one.
    watch: SchedulerWatch | None = None
    service_alerts: ServiceAlerts | None = None
    # The drills this service plays in its threads, as far as they have got.
    drill_progress: DrillProgress = field(default_factory=DrillProgress)
    # Each event's journal folded so far: the live pages and the replay read through it.
    situations: SituationCache = field(default_factory=SituationCache)
    # The single-statement reads of the hottest requests (an event read, a console poll).
    quick_reads: QuickReads = field(init=False)

    def __post_init__(self) -> None:
        self.quick_reads = QuickReads(self.engine)

    def close(self) -> None:
        """Close this service, and nothing of another one living in the same process."""
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.service_alerts is not None:
            self.service_alerts.join(timeout=10)
        if self.fanouts is not None:
            self.fanouts.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop()  # it closes the channels on its own loop
        else:
            asyncio.run(_close_all(self.catalog))
        self.quick_reads.close()
        self.engine.dispose()


async def _close_all(catalog: ChannelCatalog) -> None:
    await close_channels(catalog.production)
    await close_channels(catalog.exercise)


def _journal_service_alert(bus: MessageBus) -> Callable[[SentAlert], None]:
    def record(sent: SentAlert) -> None:
        notice, attempts = sent.notice, sent.attempts
        bus.handle(
            RecordServiceAlert(
                state=notice.state,
                subject=notice.subject,
                text=notice.text,
                jobs=notice.jobs,
                sent_at=sent.sent_at,
                accepted=tuple(a.channel for a in attempts if a.accepted),
                failed=tuple(f"{a.channel} : {a.error}" for a in attempts if not a.accepted),
            ),
            actor=SYSTEM_ACTOR,
        )

    return record


def call_answers_through(bus: MessageBus) -> Callable[[CallAnswer], Awaitable[bool]]:
    """The keys pressed during calls, as commands of the bus (run in a worker thread: the
    bus is synchronous, the call goes on meanwhile)."""

    async def record(answer: CallAnswer) -> bool:
        if not answer.delivery_id:
            return True  # the test call of `crisis channels check --appel-test`
        command = AnswerCall(delivery_id=answer.delivery_id, outcome=answer.outcome.value)
        try:
            recorded = await asyncio.to_thread(bus.handle, command, actor=VOICE_ACTOR)
        except DomainError:
            return False
        return bool(recorded)

    return record


def calls_in_progress(catalog: ChannelCatalog) -> int:
    """The calls the voice channels built so far are holding, real and exercise."""
    return sum(
        int(getattr(channels.built().get("voice"), "calls_in_progress", 0))
        for channels in (catalog.production, catalog.exercise)
    )


def bootstrap(
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    engine: Engine | None = None,
    delivery: DeliveryConfig | None = None,
    scheduler_mode: SchedulerMode = SchedulerMode.NONE,
    run_dispatcher: bool = False,
) -> Service:
    settings = settings or load_settings()
    clock = clock or SystemClock()
    engine = engine or open_engine(settings)
    if delivery is None:
        delivery = load_delivery_config(settings.channels_file, secrets_file=settings.secrets_file)
    demonstration = is_demonstration(engine)
    catalog = build_catalog(delivery, engine=engine, clock=clock, demonstration=demonstration)
    bus = MessageBus(
        engine=engine,
        clock=clock,
        settings=settings,
        catalog=catalog,
        templates=TemplateLibrary(),
    )
    bus.subscribe(ClockWarning, on_clock_alert)
    bus.subscribe(ClockBreached, on_clock_alert)
    bus.subscribe(CodActivated, on_cod_activated)
    bus.subscribe(QuorumReached, on_quorum_reached)
    bus.subscribe(DraftSubmitted, on_draft_submitted)
    bus.subscribe(DraftApproved, on_draft_decided)
    bus.subscribe(DraftRejected, on_draft_decided)
    catalog.call_answers.target = call_answers_through(bus)
    register_secrets(known_secrets(settings, delivery, engine))
    metrics = Metrics(engine, clock, sorted({*catalog.production, *catalog.exercise}))
    bus.after_commit.append(metrics.observe_events)
    metrics.count_calls(lambda: calls_in_progress(catalog))
    service = Service(
        settings=settings,
        clock=clock,
        engine=engine,
        bus=bus,
        catalog=catalog,
        scheduler=None,
        metrics=metrics,
        demonstration=demonstration,
    )
    if run_dispatcher:
        dispatcher = DispatcherThread(
            make_dispatcher(
                bus, catalog, clock=clock, worker=settings.worker_name, metrics=metrics
            ),
            catalog,
            engine=engine,
        )
        service.dispatcher = dispatcher
        fanouts = FanoutRunner(bus, on_progress=dispatcher.wake)
        service.fanouts = fanouts

        def wake_on_send(events: Sequence[Event]) -> None:
            if any(isinstance(e, MessageSent) for e in events):
                dispatcher.wake()
                fanouts.wake()

        bus.after_commit.append(wake_on_send)
        dispatcher.start()
        fanouts.start()
    # A drill played on demand plays in the process that committed its claim.
    bus.after_commit.append(
        drill_starter(bus, bootstrap, DrillPlayRequested, progress=service.drill_progress)
    )
    notify_channel = None
    if engine.dialect.name == "postgresql":
        # Whoever commits a deadline announces it; the leader, in whatever process, hears it.
        notify_channel = channel_name(current_schema(engine))
        bus.after_commit.append(Announcer(engine, notify_channel))
    if scheduler_mode is SchedulerMode.RUN:
        alerts = ServiceAlerts(delivery, clock=clock, record=_journal_service_alert(bus))
        watch = SchedulerWatch(
            clock=clock, metrics=metrics, sweep_seconds=settings.sweep_seconds, notify=alerts
        )
        service.watch, service.service_alerts = watch, alerts
        supervisor = SchedulerSupervisor(
            engine,
            clock=clock,
            leadership=leadership_for(engine),
            sweep_seconds=settings.sweep_seconds,
            poll_seconds=settings.leader_poll_seconds,
            notify_channel=notify_channel,
            jobs=ScheduledJobs(bus, watch),
        )
        bus.after_commit.append(supervisor.schedule_events)
        supervisor.on_role_change.append(lambda role: metrics.set_leader(role == "leader"))
        # The drills the programme's sweep claims play here, each on a service of its own.
        bus.after_commit.append(drill_starter(bus, bootstrap, progress=service.drill_progress))
        supervisor.start()
        metrics.set_leader(supervisor.role == "leader")
        service.scheduler = supervisor
    return service
