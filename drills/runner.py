"""Playing a scenario through the real service on a virtual clock.

The runner opens an exercise crisis, plays the injects and the simulated player actions at
their offsets, lets the dispatcher deliver to sandbox channels (with the scenario's faults),
checks the deadlines minute by minute, and writes the timing report. Everything it does goes
through the bus, so the report is computed from the journal like any other.

Identifiers come from a counter and the virtual clock never looks at the wall clock: the same
scenario from the same start gives the same journal and the same report, whatever the speed.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from crisis.catalog import ChannelCatalog
from crisis.clock import Clock, ManualClock, ensure_utc
from crisis.delivery.config import DeliveryConfig, DispatcherSettings, RetrySettings
from crisis.dispatching import make_dispatcher
from crisis.domain.commands import (
    CheckDeadlines,
    OpenCrisis,
    PlayInject,
)
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.oncall import (
    CellRole,
    CheckCallouts,
    ImportRoster,
    ShiftInput,
)
from crisis.reporting.render import ReportFormat, render
from crisis.reporting.report_models import TimingReport
from crisis.reporting.service import crisis_report
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.settings import Settings
from crisis.store.engine import make_engine
from crisis.store.journal_export import export_lines
from crisis.store.migrate import upgrade
from drills.actions import ActionPlayer
from drills.model import Scenario
from drills.sandbox import SandboxChannel, fault_windows, sandbox_channels
from drills.sandbox_voice import SandboxVoiceChannel, call_scripts

STEP = timedelta(minutes=1)
# The drill's journal, kept beside its report files.
JOURNAL_FILE = "journal.jsonl"


MISSED_STATES = frozenset({"breached", "met_late", "running"})
Progress = Callable[[int, int], None]


class DrillService(Protocol):
    """What the runner plays on: a bus and the channels of a service built for the drill."""

    bus: MessageBus
    catalog: ChannelCatalog

    def close(self) -> None: ...


class ServiceFactory(Protocol):
    """Builds the drill's own service; the composition root's `bootstrap` is one."""

    def __call__(
        self, *, settings: Settings, clock: Clock, engine: Engine, delivery: DeliveryConfig
    ) -> DrillService: ...


@dataclass(frozen=True, slots=True)
class DrillResult:
    crisis_id: str
    report: TimingReport
    files: list[Path]
    sandbox: dict[str, SandboxChannel]
    telephone: SandboxVoiceChannel | None = None  # the calls the drill placed, simulated

    @property
    def missed(self) -> bool:
        return any(c.state in MISSED_STATES for c in self.report.clocks)


def _ids(seed: str) -> Callable[[], str]:
    counter = iter(range(1, 10**9))
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"drill:{seed}")
    return lambda: str(uuid.uuid5(namespace, str(next(counter))))


def drill_delivery_config() -> DeliveryConfig:
    # No provider at all: every outside channel is a sandbox added below. Retries are
    # generous so that a channel down for half an hour delivers when it comes back.
    return DeliveryConfig(
        dispatcher=DispatcherSettings(
            batch_size=500,
            retry=RetrySettings(base_seconds=5, max_delay_seconds=30, give_up_after_minutes=600),
        )
    )


class DrillRunner:
    def __init__(
        self,
        scenario: Scenario,
        *,
        start: datetime,
        make_service: ServiceFactory,
        speed: float | None = None,
        database_url: str | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`speed`: virtual seconds per real second; None plays as fast as possible."""
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self.scenario = scenario
        self.start = ensure_utc(start).replace(second=0, microsecond=0)
        self.make_service = make_service
        self.speed = speed
        self.database_url = database_url
        self.progress = progress
        self.sleep = sleep
        self.clock = ManualClock(self.start)
        self.crisis_id = ""

    def run(self, out_dir: Path) -> DrillResult:
        with tempfile.TemporaryDirectory(prefix="crisis-drill-") as scratch:
            url = self.database_url or f"sqlite:///{Path(scratch) / 'drill.sqlite3'}"
            engine = make_engine(url)
            upgrade(engine)
            service = self.make_service(
                settings=Settings(data_dir=Path(scratch)),
                clock=self.clock,
                engine=engine,
                delivery=drill_delivery_config(),
            )
            service.bus.new_id = _ids(f"{self.scenario.title}|{self.start.isoformat()}")
            spans = [(f.channel, f.start, f.end, f.mode) for f in self.scenario.faults]
            sandbox = sandbox_channels(self.clock, fault_windows(self.start, spans))
            telephone = self._telephone(service)
            service.catalog.exercise.provide({**sandbox, "voice": telephone})
            out_dir.mkdir(parents=True, exist_ok=True)
            try:
                report = self._play(service)
                journal = self._keep_journal(service, out_dir)
            finally:
                service.close()
        files = []
        for fmt, name in (
            (ReportFormat.JSON, "report.json"),
            (ReportFormat.HTML, "report.html"),
            (ReportFormat.MD, "report.md"),
            (ReportFormat.CSV, "report.csv"),
        ):
            target = out_dir / name
            target.write_bytes(render(report, fmt))
            files.append(target)
        files.append(journal)
        return DrillResult(self.crisis_id, report, files, sandbox, telephone)

    def _telephone(self, service: DrillService) -> SandboxVoiceChannel:
        """The drill's calls, answered as the scenario scripts them: no trunk is reached."""
        people = [(p.mobile, p.call_answers) for p in self.scenario.participants]
        people += [(m.mobile, m.call_answers) for m in self.scenario.audience]
        return SandboxVoiceChannel(
            clock=self.clock, scripts=call_scripts(people), answers=service.catalog.call_answers
        )

    def _keep_journal(self, service: DrillService, out_dir: Path) -> Path:
        """The drill's journal, as `crisis journal export` writes it: its scratch database
        goes, the journal stays with the report (the drill's replay is built from it)."""
        target = out_dir / JOURNAL_FILE
        with service.bus.reading() as uow:
            lines = export_lines(uow.journal, [self.crisis_id], exported_at=self.clock.now())
            target.write_text("".join(lines), encoding="utf-8")
        return target

    def _play(self, service: DrillService) -> TimingReport:
        scenario = self.scenario
        director = Actor(name="animateur de l'exercice", role="local")
        for member in scenario.audience:
            service.bus.handle(
                CreateContact(
                    contact=ContactInput(
                        name=member.name,
                        category=member.category,
                        email=member.email,
                        mobile=member.mobile,
                        telegram_chat_id=member.telegram_chat_id,
                        commune=member.commune,
                        exercise=True,
                    )
                ),
                actor=director,
            )
        self._roster(service, director)
        self.crisis_id = service.bus.handle(
            OpenCrisis(
                title=scenario.title,
                kind=scenario.kind,
                exercise=True,
                communes=tuple(scenario.communes),
                reported_at=self.start,
            ),
            actor=director,
        )
        dispatcher = make_dispatcher(
            service.bus,
            service.catalog,
            clock=self.clock,
            worker="exercice",
            rng=random.Random(0),  # noqa: S311 - reproducible jitter, not secrecy
            pace=False,
        )
        player = ActionPlayer(
            service.bus, clock=self.clock, crisis_id=self.crisis_id, start=self.start
        )
        injects = list(scenario.injects)
        actions = list(scenario.actions)
        steps = int(scenario.duration / STEP)
        for step in range(steps + 1):
            began = time.monotonic()
            now = self.start + step * STEP
            self.clock.set(now)
            while injects and injects[0].at <= now - self.start:
                inject = injects.pop(0)
                if inject.contingency and not self._condition_holds(service, inject.when or ""):
                    continue
                service.bus.handle(
                    PlayInject(
                        crisis_id=self.crisis_id,
                        offset_minutes=int(inject.at / STEP),
                        sender=inject.sender,
                        to=inject.to,
                        channel=inject.channel,
                        content=inject.content,
                        expected_action=inject.expected_action,
                        target_at=self.start + inject.target if inject.target is not None else None,
                    ),
                    actor=director,
                )
            while actions and actions[0].at <= now - self.start:
                player.play(actions.pop(0))
            asyncio.run(dispatcher.run_until_idle(sequential=True))
            service.bus.handle(CheckDeadlines(crisis_id=self.crisis_id), actor=SYSTEM_ACTOR)
            service.bus.handle(CheckCallouts(crisis_id=self.crisis_id), actor=SYSTEM_ACTOR)
            if self.progress is not None:
                self.progress(step, steps)
            if self.speed is not None and step < steps:
                spent = time.monotonic() - began
                self.sleep(max(0.0, STEP.total_seconds() / self.speed - spent))
        with service.bus.unit_of_work() as uow:
            return crisis_report(uow, self.crisis_id, now=self.clock.now())

    def _roster(self, service: DrillService, director: Actor) -> None:
        """The participants who hold a cell or CIP role are on call for the whole drill."""
        roles = {r.value: r for r in CellRole}
        shifts = tuple(
            ShiftInput(
                name=p.name,
                role=roles[p.role],
                starts_at=self.start - timedelta(hours=1),
                ends_at=self.start + self.scenario.duration + timedelta(hours=1),
                email=p.email,
                mobile=p.mobile,
                telegram_chat_id=p.telegram_chat_id,
            )
            for p in self.scenario.participants
            if p.role in roles
        )
        if shifts:
            service.bus.handle(ImportRoster(shifts=shifts, source="exercice"), actor=director)

    def _condition_holds(self, service: DrillService, condition: str) -> bool:
        """`clock NAME running|met|breached`: the only condition a contingency inject knows."""
        words = condition.split()
        if len(words) != 3 or words[0] != "clock":
            return True
        with service.bus.unit_of_work() as uow:
            crisis = uow.crises.get(self.crisis_id)
        clock = next((c for c in crisis.clocks.values() if c.name.value == words[1]), None)
        if clock is None:
            return words[2] == "running"
        return clock.state.value == words[2]
