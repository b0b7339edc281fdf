"""What the console's pages show, read from the store through the shared views."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

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
from crisis.services.template_library import TemplateLibrary
from crisis.store.crises_repository import RaisedAlert
from crisis.store.oncall_repository import CipActivation
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


def cip_summary(uow: UnitOfWork, crisis_id: str) -> CipSummary | None:
    return _cip_summary(uow.oncall.cip(crisis_id))


def _cip_summary(cip: CipActivation | None) -> CipSummary | None:
    if cip is None:
        return None
    return CipSummary(
        numero_unique=cip.numero_unique,
        ordered_at=cip.ordered_at,
        ordered_by=cip.ordered_by,
        operational_at=cip.operational_at,
        deactivated_at=cip.deactivated_at,
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


def crisis_summary(
    uow: UnitOfWork, crisis: Crisis, now: datetime, *, last_alerts: int
) -> CrisisSummary:
    return _summary(
        crisis,
        now,
        alerts=uow.crises.alerts(crisis.id),
        cip=uow.oncall.cip(crisis.id),
        last_alerts=last_alerts,
    )


def _summary(
    crisis: Crisis,
    now: datetime,
    *,
    alerts: list[RaisedAlert],
    cip: CipActivation | None,
    last_alerts: int,
) -> CrisisSummary:
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
        alerts=[alert_display(a) for a in reversed(alerts)][:last_alerts],
        cip=_cip_summary(cip),
        close_reason=crisis.close_reason,
        opened_by_mistake=crisis.opened_by_mistake,
    )


def urgency(crisis: Crisis, now: datetime) -> tuple[bool, int, float]:
    """How a crisis ranks on the dashboard, most urgent first: real before exercise, then a
    clock past its deadline, then the least time left on a running clock."""
    running = [c for c in crisis.clocks.values() if c.met_at is None]
    breached = any(c.breach_raised or c.deadline <= now for c in running)
    left = min(((c.deadline - now).total_seconds() for c in running), default=float("inf"))
    return (crisis.exercise, 0 if breached else 1, left)


def open_crises(uow: UnitOfWork, now: datetime) -> list[CrisisSummary]:
    """Every open crisis, most urgent first (`urgency`); the newest first among equals. Four
    statements whatever the number of crises."""
    found = uow.crises.find(states=OPEN_STATES)
    ordered = sorted(found, key=lambda c: urgency(c, now))  # stable: newest first among equals
    ids = [c.id for c in ordered]
    alerts = uow.crises.alerts_of(ids) if ids else {}
    cips = uow.oncall.cips_of(ids) if ids else {}
    return [
        _summary(c, now, alerts=alerts.get(c.id, []), cip=cips.get(c.id), last_alerts=3)
        for c in ordered
    ]


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
