"""Commitment 49 from the `system` journal stream: exercises planned, held and missed.

The programme's entries (`command.AddDrillSchedule`, `command.RemoveDrillSchedule`) give the
planned occurrences (the same recurrence rules the programme uses: the rule as kept, recorded
with the outcome; an entry recorded before migration 0013 has only the cron rule as typed then,
read as APScheduler read it, `legacy_cron`); `event.DrillRunStarted`,
`event.DrillMissed` and `command.RecordDrillRun` what became of each. An occurrence that fell
due with no trace at all counts as missed. A run of an entry that is not in the programme is a
drill played on demand (`PlayDrill`, « Jouer maintenant »): held outside the programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crisis.clock import ensure_utc
from crisis.domain.errors import InvalidInput
from crisis.domain.programme import ONE_OFF_NAME
from crisis.reporting.indicators_model import (
    EventRow,
    Period,
    Programme,
    ProgrammeOccurrence,
    QuarterTrend,
    quarter_of,
)
from crisis.services.recurrence import parse_recurrence
from crisis.services.retex_views import EntryRef, entry_ref
from crisis.store.journal import JournalEntry
from crisis.store.legacy_cron import RRULE, from_apscheduler

STATUS_LABELS = {
    "held": "joué",
    "failed": "interrompu (erreur)",
    "missed": "manqué",
    "running": "en cours",
    "upcoming": "à venir",
}
ON_DEMAND_LABELS = {
    "held": "joué à la demande, hors programme",
    "failed": "joué à la demande, interrompu (erreur)",
    "running": "joué à la demande, en cours",
}


@dataclass
class _Schedule:
    schedule_id: str
    name: str
    mode: str
    command: dict[str, Any]
    outcome: dict[str, Any]
    created: JournalEntry
    removed_at: datetime | None = None


@dataclass
class _Run:
    status: str
    crisis_id: str | None = None
    verdict: dict[str, Any] | None = None
    sources: list[EntryRef] = field(default_factory=list)
    name: str = ""
    mode: str = "unattended"


def _key(schedule_id: Any, occurrence: Any) -> tuple[str, datetime]:
    return str(schedule_id), ensure_utc(datetime.fromisoformat(str(occurrence)))


def _read(
    system: Sequence[JournalEntry],
) -> tuple[list[_Schedule], dict[tuple[str, datetime], _Run]]:
    schedules: dict[str, _Schedule] = {}
    runs: dict[tuple[str, datetime], _Run] = {}
    for entry in system:
        p = entry.payload
        if entry.kind == "command.AddDrillSchedule" and "outcome" in p:
            command, outcome = p["command"], p["outcome"]
            schedule_id = str(outcome["schedule_id"])
            name, mode = str(command["name"]), str(command["mode"])
            schedules[schedule_id] = _Schedule(schedule_id, name, mode, command, outcome, entry)
        elif entry.kind == "command.RemoveDrillSchedule":
            schedule = schedules.get(str(p["command"]["schedule_id"]))
            if schedule is not None:
                schedule.removed_at = entry.at
        elif entry.kind == "event.DrillRunStarted":
            runs[_key(p["schedule_id"], p["occurrence"])] = _Run(
                "running",
                None,
                None,
                [entry_ref(entry)],
                name=str(p.get("name", "")),
                mode=str(p.get("mode", "unattended")),
            )
        elif entry.kind == "event.DrillMissed":
            runs[_key(p["schedule_id"], p["occurrence"])] = _Run(
                "missed", None, None, [entry_ref(entry)]
            )
        elif entry.kind == "command.RecordDrillRun":
            command = p["command"]
            run = runs.setdefault(
                _key(command["schedule_id"], command["occurrence"]), _Run("running")
            )
            run.status = "failed" if command.get("error") else "held"
            run.crisis_id = command.get("crisis_id")
            run.verdict = command.get("verdict")
            run.sources.append(entry_ref(entry))
    return list(schedules.values()), runs


def _rule(schedule: _Schedule) -> tuple[str | None, str | None]:
    """The entry's rule as (RRULE, cron): as kept, or, recorded before 0013, as typed then."""
    outcome, command = schedule.outcome, schedule.command
    if "rule" in outcome:
        rule = str(outcome["rule"])
        return (rule, None) if outcome["rule_kind"] == RRULE else (None, rule)
    if command.get("cron") is not None:
        kind, rule = from_apscheduler(str(command["cron"]))
        return (rule, None) if kind == RRULE else (None, rule)
    return command.get("rrule"), None


def _occurrences(schedule: _Schedule, period: Period) -> list[datetime]:
    start = schedule.command.get("starts_at") or schedule.created.at.isoformat()
    try:
        rrule_text, cron_text = _rule(schedule)
        recurrence = parse_recurrence(
            rrule_text=rrule_text, cron_text=cron_text, start=datetime.fromisoformat(str(start))
        )
    except InvalidInput:
        return []
    # The programme plays what falls due after the entry was created, until it is removed.
    after = max(period.starts_at, schedule.created.at)
    until = min(period.ends_at, schedule.removed_at or period.ends_at)
    return [o for o in recurrence.between(after, until) if o < until]


def _clocks(run: _Run, exercises: dict[str, EventRow]) -> tuple[int | None, int | None]:
    if run.crisis_id and run.crisis_id in exercises:
        figures = exercises[run.crisis_id].clocks.values()
        measured = [f for f in figures if f.verdict != "running"]
        return sum(1 for f in measured if f.verdict == "met"), len(measured)
    if run.verdict:
        clocks = run.verdict.get("clocks", {}).values()
        return sum(1 for c in clocks if c.get("state") == "met"), len(clocks)
    return None, None


def _on_demand(
    schedules: Sequence[_Schedule],
    runs: dict[tuple[str, datetime], _Run],
    by_id: dict[str, EventRow],
    period: Period,
) -> list[ProgrammeOccurrence]:
    """The runs of entries outside the programme (drills played on demand) in the period."""
    programme = {s.schedule_id for s in schedules}
    rows: list[ProgrammeOccurrence] = []
    for (schedule_id, occurrence), run in runs.items():
        if schedule_id in programme or run.status not in ON_DEMAND_LABELS:
            continue
        if not period.starts_at <= occurrence < period.ends_at:
            continue
        met, measured = _clocks(run, by_id)
        rows.append(
            ProgrammeOccurrence(
                schedule_id=schedule_id,
                name=run.name or ONE_OFF_NAME,
                occurrence=occurrence,
                mode=run.mode,
                status=run.status,
                status_label=ON_DEMAND_LABELS[run.status],
                crisis_id=run.crisis_id,
                clocks_met=met,
                clocks_measured=measured,
                sources=run.sources,
                on_demand=True,
            )
        )
    return rows


def programme_figures(
    system: Sequence[JournalEntry],
    *,
    period: Period,
    now: datetime,
    exercises: Sequence[EventRow],
) -> Programme:
    schedules, runs = _read(system)
    by_id = {r.crisis_id: r for r in exercises}
    rows: list[ProgrammeOccurrence] = []
    for schedule in schedules:
        for occurrence in _occurrences(schedule, period):
            run = runs.get((schedule.schedule_id, occurrence))
            if run is None:
                run = _Run("upcoming" if occurrence > now else "missed")
            met, measured = _clocks(run, by_id)
            rows.append(
                ProgrammeOccurrence(
                    schedule_id=schedule.schedule_id,
                    name=schedule.name,
                    occurrence=occurrence,
                    mode=schedule.mode,
                    status=run.status,
                    status_label=STATUS_LABELS[run.status],
                    crisis_id=run.crisis_id,
                    clocks_met=met,
                    clocks_measured=measured,
                    sources=[entry_ref(schedule.created), *run.sources],
                )
            )
    planned = sorted(rows, key=lambda r: (r.occurrence, r.name))
    on_demand = _on_demand(schedules, runs, by_id, period)
    rows = sorted(planned + on_demand, key=lambda r: (r.occurrence, r.name))
    linked = {r.crisis_id for r in rows if r.crisis_id}
    # Held outside the programme: the exercises played in the service that no run names, and
    # the drills played on demand (each played in its own isolated service).
    unplanned = [e for e in exercises if e.crisis_id not in linked]
    on_demand_held = [r for r in on_demand if r.status == "held"]
    trend: list[QuarterTrend] = []
    quarters = sorted(
        {quarter_of(r.occurrence) for r in rows}
        | {quarter_of(e.decided_at or e.reported_at or now) for e in unplanned},
        key=lambda q: (q.split()[1], q),
    )
    for quarter in quarters:
        in_quarter = [r for r in planned if quarter_of(r.occurrence) == quarter]
        extra = [
            e for e in unplanned if quarter_of(e.decided_at or e.reported_at or now) == quarter
        ]
        played = [r for r in on_demand_held if quarter_of(r.occurrence) == quarter]
        held_runs = [r for r in in_quarter if r.status == "held"] + played
        met = sum(r.clocks_met or 0 for r in held_runs)
        measured = sum(r.clocks_measured or 0 for r in held_runs)
        for exercise in extra:
            figures = [f for f in exercise.clocks.values() if f.verdict != "running"]
            met += sum(1 for f in figures if f.verdict == "met")
            measured += len(figures)
        trend.append(
            QuarterTrend(
                quarter=quarter,
                planned=len(in_quarter),
                held=len(held_runs) + len(extra),
                missed=sum(1 for r in in_quarter if r.status == "missed"),
                clocks_met=met,
                clocks_measured=measured,
            )
        )
    held = [r for r in planned if r.status == "held"]
    return Programme(
        planned=len(planned),
        held=len(held),
        held_unattended=sum(1 for r in held if r.mode == "unattended"),
        held_live=sum(1 for r in held if r.mode == "live"),
        failed=sum(1 for r in planned if r.status == "failed"),
        missed=sum(1 for r in planned if r.status == "missed"),
        upcoming=sum(1 for r in planned if r.status == "upcoming"),
        unplanned_held=len(unplanned) + len(on_demand_held),
        on_demand_held=len(on_demand_held),
        occurrences=rows,
        trend=trend,
    )
