"""What the console's pages show, read from the store through the shared views."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from crisis.domain.clocks import CommitmentClock
from crisis.domain.crisis import Crisis
from crisis.domain.drafts import Draft, DraftState
from crisis.domain.vocabulary import (
    CLOCK_LABELS,
    CRISIS_KIND_LABELS,
    CRISIS_STATE_LABELS,
    ClockState,
    CrisisState,
)
from crisis.french import short_time as _short_time
from crisis.reporting.summary import entry_summary, journal_label
from crisis.services.situation import Situation
from crisis.services.situation_cache import SituationCache
from crisis.services.template_library import TemplateLibrary
from crisis.store.crises_repository import RaisedAlert
from crisis.store.unit_of_work import UnitOfWork

OPEN_STATES = [CrisisState.REPORTED, CrisisState.COD_ACTIVE]


@dataclass(frozen=True, slots=True)
class ClockDisplay:
    name: str
    label: str
    state: str  # en cours, avertissement, dépassée, tenue, tenue en retard
    tone: str  # the DSFR badge: info, warning, error, success
    detail: str
    # A clock still running counts in the browser from its absolute deadline (console.js):
    # `detail` is `lead` + `countdown` + `tail`, and `countdown` alone changes each second.
    deadline: datetime | None = None
    lead: str = ""
    countdown: str = ""
    tail: str = ""

    def without_countdown(self) -> ClockDisplay:
        """What stays the same from one second to the next (the dashboard's change marker)."""
        return replace(self, detail="", countdown="")


def short_time(instant: datetime) -> str:
    """« 17 h 36 » for a page: non-breaking spaces, so that a phone never splits it."""
    return _short_time(instant).replace(" ", "\u00a0")


def _duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s"


def clock_display(clock: CommitmentClock, now: datetime) -> ClockDisplay:
    label = CLOCK_LABELS[clock.name].capitalize()
    state = clock.state
    if clock.met_at is not None:
        late = state is ClockState.BREACHED
        return ClockDisplay(
            clock.name.value,
            label,
            "tenue en retard" if late else "tenue",
            "warning" if late else "success",
            f"tenue à {short_time(clock.met_at)}"
            + (
                f", {_duration((clock.met_at - clock.deadline).total_seconds())} après l'échéance"
                if late
                else ""
            ),
        )
    left = (clock.deadline - now).total_seconds()
    tail = f" (échéance {short_time(clock.deadline)})"
    countdown = _duration(left)
    if state is ClockState.BREACHED or left <= 0:
        lead, shown, tone = "en retard de ", "dépassée", "error"
    else:
        warned = bool(clock.raised_offsets)
        lead = "reste "
        shown, tone = ("avertissement", "warning") if warned else ("en cours", "info")
    return ClockDisplay(
        clock.name.value,
        label,
        shown,
        tone,
        lead + countdown + tail,
        deadline=clock.deadline,
        lead=lead,
        countdown=countdown,
        tail=tail,
    )


@dataclass(frozen=True, slots=True)
class AlertDisplay:
    text: str
    tone: str


def alert_display(alert: RaisedAlert) -> AlertDisplay:
    clock = CLOCK_LABELS[alert.clock]
    if alert.kind == "breach":
        return AlertDisplay(f"{short_time(alert.due_at)} — échéance dépassée : {clock}", "error")
    return AlertDisplay(
        f"{short_time(alert.due_at)} — {alert.offset_minutes} min écoulées : {clock}", "warning"
    )


@dataclass(frozen=True, slots=True)
class CipSummary:
    numero_unique: str
    ordered_at: datetime
    ordered_by: str
    operational_at: datetime | None
    deactivated_at: datetime | None


def cip_summary(view: dict[str, Any] | None) -> CipSummary | None:
    """The CIP panel, from the CIP as the fold of the journal has it (`Situation.cip`)."""
    if view is None:
        return None

    def instant(key: str) -> datetime | None:
        value = view[key]
        return datetime.fromisoformat(value) if value else None

    ordered_at = instant("ordered_at")
    assert ordered_at is not None
    return CipSummary(
        numero_unique=view["numero_unique"],
        ordered_at=ordered_at,
        ordered_by=view["ordered_by"],
        operational_at=instant("operational_at"),
        deactivated_at=instant("deactivated_at"),
    )


@dataclass(frozen=True, slots=True)
class CrisisSummary:
    id: str
    title: str
    kind: str
    state: str
    exercise: bool
    communes: list[str]
    cod_active: bool
    decided_at: datetime | None
    clocks: list[ClockDisplay]
    alerts: list[AlertDisplay]
    cip: CipSummary | None
    close_reason: str | None = None
    opened_by_mistake: bool = False


def crisis_summary(situation: Situation, now: datetime, *, last_alerts: int) -> CrisisSummary:
    """The event's header, clocks, alerts and CIP as the pages show them, from the fold of
    its journal (`crisis.services.situation`): live, folded up to now; replayed, up to the
    instant chosen. One display for both, so that they cannot disagree."""
    crisis = situation.crisis
    assert crisis is not None, "an event's journal starts with its opening"
    return CrisisSummary(
        id=crisis.id,
        title=crisis.title,
        kind=CRISIS_KIND_LABELS[crisis.kind],
        state=CRISIS_STATE_LABELS[crisis.state],
        exercise=crisis.exercise,
        communes=list(crisis.communes),
        cod_active=crisis.state is CrisisState.COD_ACTIVE,
        decided_at=crisis.activation.decided_at if crisis.activation else None,
        clocks=[clock_display(c, now) for c in crisis.clocks.values()],
        alerts=[alert_display(a) for a in reversed(situation.alerts)][:last_alerts],
        cip=cip_summary(situation.cip),
        close_reason=crisis.close_reason,
        opened_by_mistake=crisis.opened_by_mistake,
    )


def live_summary(
    uow: UnitOfWork, situations: SituationCache, crisis_id: str, now: datetime, *, last_alerts: int
) -> CrisisSummary:
    """An event as it stands now, through the same fold as its replay."""
    situation = situations.live(uow.journal, crisis_id, now)
    if situation.crisis is None:
        situation = _with_crisis(situation, uow.crises.get(crisis_id))
    return crisis_summary(situation, now, last_alerts=last_alerts)


def _with_crisis(situation: Situation, stored: Crisis) -> Situation:
    """A journal cut before its opening entry (the chain check names it): the event as stored,
    rather than no page at all."""
    return situation if situation.crisis is not None else replace(situation, crisis=stored)


def urgency(crisis: Crisis, now: datetime) -> tuple[bool, int, float]:
    """How a crisis ranks on the dashboard, most urgent first: real before exercise, then a
    clock past its deadline, then the least time left on a running clock."""
    running = [c for c in crisis.clocks.values() if c.met_at is None]
    breached = any(c.breach_raised or c.deadline <= now for c in running)
    left = min(((c.deadline - now).total_seconds() for c in running), default=float("inf"))
    return (crisis.exercise, 0 if breached else 1, left)


def open_crises(uow: UnitOfWork, situations: SituationCache, now: datetime) -> list[CrisisSummary]:
    """Every open crisis, most urgent first (`urgency`); the newest first among equals. The
    same few statements whatever the number of crises: the crises, their journals' heads, and
    the entries appended since the last read of any of them."""
    found = uow.crises.find(states=OPEN_STATES)
    ordered = sorted(found, key=lambda c: urgency(c, now))  # stable: newest first among equals
    live = situations.live_many(uow.journal, [c.id for c in ordered], now)
    return [crisis_summary(_with_crisis(live[c.id], c), now, last_alerts=3) for c in ordered]


def submitted_drafts(uow: UnitOfWork) -> list[Draft]:
    return uow.drafts.in_state(DraftState.SUBMITTED)


JOURNAL_PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class JournalLine:
    seq: int
    at: datetime
    actor: str
    label: str
    detail: str


def journal_page(
    uow: UnitOfWork, crisis_id: str, page_number: int
) -> tuple[list[JournalLine], int]:
    """One page of the main courante, newest first; and the number of pages."""
    head = uow.journal.head_seq(crisis_id)
    pages = max(1, -(-head // JOURNAL_PAGE_SIZE))
    page_number = min(max(1, page_number), pages)
    last = head - (page_number - 1) * JOURNAL_PAGE_SIZE
    first = max(0, last - JOURNAL_PAGE_SIZE)
    entries = uow.journal.entries(crisis_id, after_seq=first, limit=last - first)
    lines = [
        JournalLine(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            label=journal_label(e.kind),
            detail=entry_summary(e),
        )
        for e in reversed(entries)
    ]
    return lines, pages


def template_titles(library: TemplateLibrary | None, uow: UnitOfWork) -> dict[str, str]:
    """The title of each template by its name: a page shows « Première information des
    élus », never `information_elus`."""
    if library is None:
        return {}
    return {t.name: t.manifest.title for t in library.registry(uow).templates()}
