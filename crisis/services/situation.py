"""An event's situation as of an instant, folded from its journal entries alone.

The one fold behind the console's live pages (folded up to now, see `situation_cache`) and
behind the replay (folded up to any past instant): what the cell saw at 19 h 42 is what the
live page showed at 19 h 42. Only the entries recorded by the instant count (`entry.at`), in
the order of the chain: a declaration backdated at 19 h 50 to 19 h 30 was not on the screen
at 19 h 40.

The fold keeps the event itself as the domain's `Crisis` (its clocks as `CommitmentClock`),
so the pages' displays of a live event and of a replayed one are the same code.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crisis.domain.clocks import CommitmentClock
from crisis.domain.crisis import CodActivation, Crisis
from crisis.domain.vocabulary import ClockName, CrisisKind, CrisisState
from crisis.services.situation_parts import (
    PART_APPLIERS,
    CalloutState,
    ChannelOutage,
    DraftState,
    MessageState,
)
from crisis.store.crises_repository import RaisedAlert
from crisis.store.journal import JournalEntry

# Remarks written afterwards for the RETEX: kept apart, never part of what the cell saw.
ANNOTATION_KIND = "event.ReplayAnnotated"


def _instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _maybe_instant(value: Any) -> datetime | None:
    return _instant(value) if value else None


@dataclass(frozen=True, slots=True)
class Annotation:
    """A remark attached afterwards to an instant of the event, for its RETEX."""

    annotation_id: str
    at: datetime
    text: str
    action_id: str | None
    written_by: str
    written_at: datetime
    seq: int


@dataclass(slots=True)
class SituationFold:
    """The fold itself: `apply` one entry after the other, in the chain's order."""

    crisis_id: str
    crisis: Crisis | None = None
    alerts: list[RaisedAlert] = field(default_factory=list)
    cip: dict[str, Any] | None = None
    callouts: dict[str, CalloutState] = field(default_factory=dict)
    drafts: dict[str, DraftState] = field(default_factory=dict)
    messages: dict[str, MessageState] = field(default_factory=dict)
    outages: dict[str, ChannelOutage] = field(default_factory=dict)
    last_seq: int = 0
    last_at: datetime | None = None
    entries: int = 0

    def copy(self) -> SituationFold:
        return copy.deepcopy(self)

    def apply(self, entry: JournalEntry) -> None:
        self.last_seq = entry.seq
        self.last_at = entry.at
        self.entries += 1
        handler = _APPLIERS.get(entry.kind)
        if handler is not None:
            handler(self, entry, entry.payload)

    def situation(self, at: datetime) -> Situation:
        """What the pages show at `at`, of the entries folded so far (copies: the fold goes on)."""
        return Situation(
            crisis_id=self.crisis_id,
            at=at,
            crisis=copy.deepcopy(self.crisis),
            alerts=sorted(self.alerts, key=lambda a: (a.due_at, a.clock.value)),
            cip=dict(self.cip) if self.cip is not None else None,
            callouts=copy.deepcopy(list(self.callouts.values())),
            drafts=copy.deepcopy(list(self.drafts.values())),
            messages=copy.deepcopy(list(self.messages.values())),
            outages=copy.deepcopy(list(self.outages.values())),
            last_seq=self.last_seq,
        )


@dataclass(frozen=True, slots=True)
class Situation:
    """An event as the cell saw it at `at`: the view model of the live and replayed pages."""

    crisis_id: str
    at: datetime
    crisis: Crisis | None
    alerts: list[RaisedAlert]
    cip: dict[str, Any] | None
    callouts: list[CalloutState]
    drafts: list[DraftState]
    messages: list[MessageState]
    outages: list[ChannelOutage]
    last_seq: int

    @property
    def channels_down(self) -> list[ChannelOutage]:
        return [o for o in self.outages if o.restored_at is None]

    @property
    def waiting_drafts(self) -> list[DraftState]:
        return [d for d in self.drafts if d.state == "submitted"]


def fold(crisis_id: str, entries: list[JournalEntry] | Any) -> SituationFold:
    """Every entry given, folded from nothing."""
    state = SituationFold(crisis_id)
    for entry in entries:
        state.apply(entry)
    return state


# --- the event and its clocks -------------------------------------------------------------


def _opened(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    s.crisis = Crisis(
        id=s.crisis_id,
        title=str(p["title"]),
        kind=CrisisKind(p["kind"]),
        communes=tuple(p.get("communes", ())),
        reported_at=_instant(p["reported_at"]),
        exercise=bool(p["exercise"]),
        created_by=e.actor,
        created_at=e.at,
    )


def _activated(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.crisis is None:
        return
    s.crisis.activation = CodActivation(
        decided_at=_instant(p["decided_at"]),
        decided_by=str(p["decided_by"]),
        synergi_ref=p.get("synergi_ref"),
        recorded_by=str(p["recorded_by"]),
        recorded_at=_instant(p["recorded_at"]),
    )
    s.crisis.state = CrisisState.COD_ACTIVE


def _clock(s: SituationFold, p: dict[str, Any]) -> CommitmentClock | None:
    if s.crisis is None:
        return None
    return s.crisis.clocks.get(ClockName(p["clock"]))


def _clock_started(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.crisis is None:
        return
    name = ClockName(p["clock"])
    s.crisis.clocks[name] = CommitmentClock(
        crisis_id=s.crisis_id,
        name=name,
        target_minutes=int(p["target_minutes"]),
        started_at=_instant(p["started_at"]),
        deadline=_instant(p["deadline"]),
        warning_offsets=tuple(int(o) for o in p["warning_offsets"]),
    )


def _clock_met(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    clock = _clock(s, p)
    if clock is not None:
        clock.meet(at=_instant(p["met_at"]), by=str(p["met_by"]))


def _clock_corrected(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    clock = _clock(s, p)
    if clock is not None:
        # The domain's own rule, so that the corrected clock reads as the model's does.
        clock.correct(
            met_at=_maybe_instant(p.get("met_at")),
            reason=str(p["reason"]),
            by=str(p["corrected_by"]),
        )


def _alert(s: SituationFold, p: dict[str, Any], *, offset: int, kind: str) -> None:
    clock = _clock(s, p)
    if clock is None:
        return
    clock.raised_offsets.add(offset)
    s.alerts.append(
        RaisedAlert(
            crisis_id=s.crisis_id,
            clock=clock.name,
            offset_minutes=offset,
            kind=kind,
            due_at=_instant(p["due_at"]),
            raised_at=_instant(p["raised_at"]),
        )
    )


def _warned(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    _alert(s, p, offset=int(p["offset_minutes"]), kind="warning")


def _breached(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    _alert(s, p, offset=int(p["target_minutes"]), kind="breach")


def _closed(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.crisis is None:
        return
    s.crisis.state = CrisisState.CLOSED
    s.crisis.closed_at = _instant(p["closed_at"])
    s.crisis.closed_by = str(p["closed_by"])
    s.crisis.close_reason = str(p["reason"])
    s.crisis.opened_by_mistake = bool(p.get("opened_by_mistake", False))


# --- the CIP ---------------------------------------------------------------------------------


def _cip_ordered(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    s.cip = {
        "crisis_id": s.crisis_id,
        "numero_unique": str(p["numero_unique"]),
        "ordered_at": _instant(p["ordered_at"]).isoformat(),
        "ordered_by": str(p["ordered_by"]),
        "operational_at": None,
        "deactivated_at": None,
        "deactivated_by": None,
        "deactivation_reason": None,
    }


def _cip_operational(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.cip is not None and s.cip["operational_at"] is None:
        s.cip["operational_at"] = _instant(p["declared_at"]).isoformat()


def _cip_deactivated(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.cip is not None:
        s.cip.update(
            deactivated_at=_instant(p["deactivated_at"]).isoformat(),
            deactivated_by=str(p["deactivated_by"]),
            deactivation_reason=str(p["reason"]),
        )


_APPLIERS = {
    "event.CrisisOpened": _opened,
    "event.CodActivated": _activated,
    "event.ClockStarted": _clock_started,
    "event.ClockMet": _clock_met,
    "event.ClockCorrected": _clock_corrected,
    "event.ClockWarning": _warned,
    "event.ClockBreached": _breached,
    "event.CrisisClosed": _closed,
    "event.CipOrdered": _cip_ordered,
    "event.CipDeclaredOperational": _cip_operational,
    "event.CipDeactivated": _cip_deactivated,
    **PART_APPLIERS,
}


def annotation(entry: JournalEntry) -> Annotation:
    p = entry.payload
    return Annotation(
        annotation_id=str(p["annotation_id"]),
        at=_instant(p["at"]),
        text=str(p["text"]),
        action_id=p.get("action_id"),
        written_by=str(p["written_by"]),
        written_at=entry.at,
        seq=entry.seq,
    )
