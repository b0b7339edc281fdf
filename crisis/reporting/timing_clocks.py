"""The clocks of the timing report, as the journal tells them (crisis.reporting.timing)."""

from __future__ import annotations

from datetime import datetime

from crisis.domain.vocabulary import CLOCK_LABELS, ClockName
from crisis.french import compact_datetime as _when
from crisis.reporting.message_timing import instant, minutes_between
from crisis.reporting.report_models import COMMITMENTS, ClockReport
from crisis.services.retex_views import EntryRef, entry_ref
from crisis.store.journal import JournalEntry


class JournalClock:
    """A clock as its journal entries tell it: started, warned, breached, met, corrected."""

    def __init__(self, entry: JournalEntry) -> None:
        payload = entry.payload
        self.name = str(payload["clock"])
        self.target = int(payload["target_minutes"])
        self.started_at = instant(payload["started_at"])
        self.deadline = instant(payload["deadline"])
        self.met_at: datetime | None = None
        self.met_by: str | None = None
        self.warnings: list[int] = []
        self.breach_raised_at: datetime | None = None
        # The entries that hold the figures: the start, the breach, and the entry that holds
        # the earliest instant the clock was met, whatever the order entries were recorded in.
        self.started_by = entry_ref(entry)
        self.met_in: EntryRef | None = None
        self.breached_in: EntryRef | None = None
        self.corrections: list[str] = []
        self.corrected_in: list[EntryRef] = []

    def meet(self, entry: JournalEntry) -> None:
        met_at = instant(entry.payload["met_at"])
        if self.met_at is None or met_at < self.met_at:
            self.met_at, self.met_by = met_at, str(entry.payload.get("met_by"))
            self.met_in = entry_ref(entry)

    def correct(self, entry: JournalEntry) -> None:
        payload = entry.payload
        met_at = payload.get("met_at")
        self.met_at = instant(met_at) if met_at else None
        self.met_by = (
            f"correction de {payload['corrected_by']} : {payload['reason']}" if met_at else None
        )
        self.met_in = entry_ref(entry) if met_at else None
        self.corrections.append(
            f"{payload['corrected_by']} a corrigé le {_when(entry.at)} "
            + (
                f"l'heure retenue ({_when(self.met_at)})"
                if self.met_at
                else "en retirant la déclaration"
            )
            + f" : {payload['reason']}"
        )
        self.corrected_in.append(entry_ref(entry))

    def sources(self) -> list[EntryRef]:
        found = [self.started_by, self.breached_in, self.met_in, *self.corrected_in]
        return sorted((s for s in found if s is not None), key=lambda s: s.seq)

    def report(self) -> ClockReport:
        achieved = minutes_between(self.started_at, self.met_at) if self.met_at else None
        if self.met_at is not None:
            state = "met" if self.met_at <= self.deadline else "met_late"
        else:
            state = "breached" if self.breach_raised_at is not None else "running"
        try:
            label = CLOCK_LABELS[ClockName(self.name)]
        except (ValueError, KeyError):
            label = COMMITMENTS.get(self.name, ("", self.name))[1]
        return ClockReport(
            name=self.name,
            label=label,
            commitment=COMMITMENTS.get(self.name, ("", ""))[0],
            target_minutes=self.target,
            started_at=self.started_at,
            deadline=self.deadline,
            met_at=self.met_at,
            met_by=self.met_by,
            achieved_minutes=achieved,
            margin_minutes=round(self.target - achieved, 2) if achieved is not None else None,
            state=state,
            warnings_raised=sorted(self.warnings),
            breach_raised_at=self.breach_raised_at,
            sources=self.sources(),
            corrections=self.corrections,
        )
