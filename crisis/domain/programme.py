"""The exercise programme (commitment 49): recurring drills, their notices and their runs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from crisis.domain.commands import Command
from crisis.domain.events import Event
from crisis.domain.vocabulary import DrillMode as DrillMode

DRILL_MODE_LABELS: dict[DrillMode, str] = {
    DrillMode.UNATTENDED: "automatique (horloge virtuelle, canaux simulés)",
    DrillMode.LIVE: "en direct (avec les participants, canaux d'exercice)",
}


# The rule kind of an entry made to play one drill now (`PlayDrill`): never in the programme,
# never swept; its one run is claimed by the command itself.
ONE_OFF = "once"
ONE_OFF_NAME = "Exercice joué à la demande"


class RunState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    MISSED = "missed"  # fell due while the service was down for longer than the catch-up


@dataclass(frozen=True, slots=True)
class DrillSchedule:
    id: str
    name: str
    scenario: str  # a bundled scenario name or a file path
    scenario_title: str
    rule_kind: str  # rrule or cron
    rule: str
    starts_at: datetime
    notice_days: int
    mode: DrillMode
    created_by: str
    created_at: datetime
    removed_at: datetime | None = None
    removed_by: str | None = None


@dataclass(frozen=True, slots=True)
class DrillRun:
    schedule_id: str
    occurrence: datetime
    state: RunState
    mode: DrillMode
    started_at: datetime
    finished_at: datetime | None = None
    report_dir: str | None = None
    verdict: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DrillClaim:
    """An occurrence that fell due and is now this process's to play, once."""

    schedule_id: str
    occurrence: datetime
    scenario: str
    mode: DrillMode
    report_dir: str


@dataclass(frozen=True, slots=True)
class DrillRunClaimed(Event):
    """An occurrence `RunDueDrills` claimed, to be played once the claim is committed.

    It concerns no crisis (`crisis_id` is empty): the handler journals the start itself.
    """

    claim: DrillClaim


@dataclass(frozen=True, slots=True)
class DrillPlayRequested(Event):
    """A drill `PlayDrill` claimed: played, once the claim is committed, by the process that
    committed it (its journal entries and its end exactly as a programmed run's)."""

    claim: DrillClaim


@dataclass(frozen=True, slots=True)
class UploadedScenario:
    """A scenario file uploaded to the console, kept in the database (every instance sees it,
    a restart keeps it); referred to by its `name`, as a bundled scenario is."""

    name: str
    file_name: str
    title: str
    content: str
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class UploadScenario(Command):
    file_name: str
    content: bytes

    def journal_payload(self) -> Any:
        # The file may name participants with their addresses: its fingerprint only.
        return {
            "file_name": self.file_name,
            "sha256": hashlib.sha256(self.content).hexdigest(),
            "size_bytes": len(self.content),
        }


@dataclass(frozen=True, slots=True)
class RemoveScenario(Command):
    name: str


@dataclass(frozen=True, slots=True)
class PlayDrill(Command):
    """Play a scenario now, unattended on a virtual clock (the console's « Jouer maintenant »)."""

    scenario: str


@dataclass(frozen=True, slots=True)
class AddDrillSchedule(Command):
    name: str
    scenario: str
    rrule: str | None = None
    cron: str | None = None
    starts_at: datetime | None = None  # None: now
    notice_days: int = 7
    mode: DrillMode = DrillMode.UNATTENDED


@dataclass(frozen=True, slots=True)
class RemoveDrillSchedule(Command):
    schedule_id: str


@dataclass(frozen=True, slots=True)
class RunDueDrills(Command):
    """The scheduler's sweep: claim each occurrence that fell due, exactly once."""


@dataclass(frozen=True, slots=True)
class NotifyDrillParticipants(Command):
    """The scheduler's sweep: send each notice that fell due, exactly once."""


@dataclass(frozen=True, slots=True)
class RecordDrillRun(Command):
    """The end of a programmed run: its report and verdict, or why it failed."""

    schedule_id: str
    occurrence: datetime
    report_dir: str | None
    verdict: dict[str, Any] | None = None
    error: str | None = None
    crisis_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeliverInject(Command):
    """A live drill's inject: played (journalled) and sent to the participants it names."""

    crisis_id: str
    offset_minutes: int
    sender: str
    to: str
    channel: str
    content: str
    contact_ids: tuple[str, ...]
    expected_action: str | None = None
    target_at: datetime | None = None
