"""Live drills: a scenario played in real time with people, in the service's own database.

The drill opens an exercise event, and at each inject's offset sends the inject to the
participants it names (contacts who take part in exercises, found by the e-mail, mobile or
Telegram chat id the scenario gives them) on the exercise channels. What the clocks measure is
what the players really do through the API, the CLI or the bot; of the scenario's `actions`,
only those marked `simulated: true` (a role nobody holds today) are played, at their offsets.
At the end the timing report is written, computed from the journal like any other.

The clock and the sleep function are injected: tests move a ManualClock instead of waiting.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from crisis.clock import Clock, ensure_utc
from crisis.domain.commands import CheckDeadlines, CloseCrisis, OpenCrisis
from crisis.domain.contacts import Contact
from crisis.domain.errors import InvalidInput, NotFound
from crisis.domain.programme import DeliverInject
from crisis.domain.vocabulary import CrisisState
from crisis.reporting.render import ReportFormat, render
from crisis.reporting.report_models import TimingReport
from crisis.reporting.service import crisis_report
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR, Actor
from drills.actions import ActionPlayer
from drills.model import Action, Inject, Participant, Scenario

# How often, at most, the drill wakes up between injects to check deadlines.
TICK = timedelta(seconds=30)
DIRECTOR = Actor(name="animateur de l'exercice", role="local")
MISSED_STATES = frozenset({"breached", "met_late", "running"})


class LiveDrillError(Exception):
    """The drill cannot start; each problem is a French sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class LiveResult:
    crisis_id: str
    report: TimingReport
    files: list[Path]
    injects_sent: int
    skipped_actions: int

    @property
    def missed(self) -> bool:
        return any(c.state in MISSED_STATES for c in self.report.clocks)


@dataclass
class LiveDrill:
    scenario: Scenario
    bus: MessageBus
    clock: Clock
    sleep: Callable[[float], None] = time.sleep
    # Called on every wake-up (a test drains the outbox here; the service has its dispatcher).
    pump: Callable[[], None] | None = None
    close_at_end: bool = True
    director: Actor = DIRECTOR
    crisis_id: str = ""
    participants: dict[str, list[Contact]] = field(default_factory=dict)

    def prepare(self) -> None:
        """Find every participant an inject names; refuse to start if one is missing."""
        problems: list[str] = []
        by_role: dict[str, list[Participant]] = {}
        for participant in self.scenario.participants:
            by_role.setdefault(participant.role, []).append(participant)
        with self.bus.unit_of_work() as uow:
            for role in dict.fromkeys(i.to for i in self.scenario.injects):
                found: list[Contact] = []
                for participant in by_role.get(role, []):
                    contact = _find_contact(uow.contacts.find_by_ref, participant)
                    if contact is None:
                        problems.append(
                            f"participant « {participant.name} » ({role}) : aucun contact "
                            "ne correspond à son e-mail, mobile ou Telegram"
                        )
                    elif not contact.active:
                        problems.append(
                            f"participant « {participant.name} » ({role}) : le contact "
                            f"« {contact.name} » est inactif"
                        )
                    elif not contact.exercise:
                        problems.append(
                            f"participant « {participant.name} » ({role}) : le contact "
                            f"« {contact.name} » ne participe pas aux exercices"
                        )
                    else:
                        found.append(contact)
                if not by_role.get(role):
                    problems.append(
                        f"injects : le destinataire « {role} » n'est pas un participant"
                    )
                self.participants[role] = found
        if problems:
            raise LiveDrillError(problems)

    def run(self, out_dir: Path, *, start: datetime | None = None) -> LiveResult:
        self.prepare()
        begin = ensure_utc(start or self.clock.now())
        self.crisis_id = self.bus.handle(
            OpenCrisis(
                title=self.scenario.title,
                kind=self.scenario.kind,
                exercise=True,
                communes=tuple(self.scenario.communes),
                reported_at=min(begin, self.clock.now()),
            ),
            actor=self.director,
        )
        sent = 0
        player = ActionPlayer(self.bus, clock=self.clock, crisis_id=self.crisis_id, start=begin)
        # Injects, and the actions of roles nobody plays today, in the order of their offsets.
        timeline: list[tuple[timedelta, int, Inject | Action]] = [
            (inject.at, 0, inject) for inject in self.scenario.injects
        ]
        timeline += [(a.at, 1, a) for a in self.scenario.actions if a.simulated]
        for at, _, item in sorted(timeline, key=lambda entry: (entry[0], entry[1])):
            self._wait_until(begin + at)
            if isinstance(item, Action):
                player.play(item)
                continue
            if item.contingency and not self._condition_holds(item.when or ""):
                continue
            self._deliver(item, begin)
            sent += 1
        self._wait_until(begin + self.scenario.duration)
        self._tick()
        if self.close_at_end:
            self._close()
        with self.bus.unit_of_work() as uow:
            report = crisis_report(uow, self.crisis_id, now=self.clock.now())
        out_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for fmt, name in (
            (ReportFormat.JSON, "report.json"),
            (ReportFormat.HTML, "report.html"),
            (ReportFormat.MD, "report.md"),
        ):
            target = out_dir / name
            target.write_bytes(render(report, fmt))
            files.append(target)
        skipped = sum(1 for a in self.scenario.actions if not a.simulated)
        return LiveResult(self.crisis_id, report, files, sent, skipped)

    def _wait_until(self, due: datetime) -> None:
        while True:
            self._tick()
            remaining = (due - self.clock.now()).total_seconds()
            if remaining <= 0:
                return
            self.sleep(min(remaining, TICK.total_seconds()))

    def _tick(self) -> None:
        if self.pump is not None:
            self.pump()
        if self.crisis_id:
            self.bus.handle(CheckDeadlines(crisis_id=self.crisis_id), actor=SYSTEM_ACTOR)

    def _deliver(self, inject: Inject, begin: datetime) -> None:
        contacts = self.participants.get(inject.to, [])
        self.bus.handle(
            DeliverInject(
                crisis_id=self.crisis_id,
                offset_minutes=int(inject.at.total_seconds() // 60),
                sender=inject.sender,
                to=inject.to,
                channel=inject.channel,
                content=inject.content,
                contact_ids=tuple(c.id for c in contacts),
                expected_action=inject.expected_action,
                target_at=begin + inject.target if inject.target is not None else None,
            ),
            actor=self.director,
        )

    def _condition_holds(self, condition: str) -> bool:
        """`clock NAME running|met|breached`, as in unattended runs."""
        words = condition.split()
        if len(words) != 3 or words[0] != "clock":
            return True
        with self.bus.unit_of_work() as uow:
            crisis = uow.crises.get(self.crisis_id)
        clock = next((c for c in crisis.clocks.values() if c.name.value == words[1]), None)
        if clock is None:
            return words[2] == "running"
        return bool(clock.state.value == words[2])

    def _close(self) -> None:
        with self.bus.unit_of_work() as uow:
            state = uow.crises.get(self.crisis_id).state
        if state is not CrisisState.CLOSED:
            self.bus.handle(
                CloseCrisis(crisis_id=self.crisis_id, reason="Fin de l'exercice en direct."),
                actor=self.director,
            )


def _find_contact(
    find_by_ref: Callable[[str], Contact], participant: Participant
) -> Contact | None:
    for ref in (participant.email, participant.mobile, participant.telegram_chat_id):
        if not ref:
            continue
        with contextlib.suppress(NotFound, InvalidInput):
            return find_by_ref(ref)
    return None
