"""The Qual-e-Pref indicators of a period, computed from the journal alone.

Each event's figures come from its timing report (crisis.reporting.timing, the one place that
reads clocks); this module only selects the events of the period, keeps the journal entries
behind each figure, sets apart exercises and broken chains, and aggregates.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from crisis.clock import PARIS, ensure_utc
from crisis.domain.era import check_day
from crisis.domain.errors import InvalidInput
from crisis.domain.retex import ActionState
from crisis.domain.vocabulary import CRISIS_KIND_LABELS, CrisisKind
from crisis.french import counted, long_date
from crisis.labels import COMMITMENT_STATE_LABELS
from crisis.reporting.indicators_model import (
    AUDIENCES,
    ActionRow,
    AudienceStats,
    CellStats,
    ChainStatus,
    CipFigure,
    CipStats,
    ClockFigure,
    Commitments,
    EventRow,
    ExerciseSection,
    Indicators,
    Period,
    QuarterShare,
    RetexSection,
    Stats,
    quarter_of,
)
from crisis.reporting.indicators_programme import programme_figures
from crisis.reporting.message_timing import merge_handsets, percentile
from crisis.reporting.report_models import ClockReport
from crisis.reporting.timing import build_report
from crisis.services.retex_views import RetexView, current_retex, entry_ref
from crisis.store.journal import SYSTEM_STREAM, ChainCheck, JournalEntry

MAX_PERIOD_DAYS = 3660
MEASURED = ("met", "met_late", "breached")
# « diffusion 3f2a… (sms) », « diffusion 3f2a… (appel du maire) »: what met an audience clock.
_DELIVERY = re.compile(r"^diffusion \S+ \((?P<means>.*)\)$")
# The system stream holds the programme and the users, not an event; the caller adds the
# programme's container event (notices only, never an exercise itself) to `excluded`.
EXCLUDED_STREAMS = frozenset({SYSTEM_STREAM})


def make_period(first: date, last: date) -> Period:
    """Both days included, Paris calendar days."""
    check_day("du", first)
    check_day("au", last)
    if last < first:
        raise InvalidInput("au", "La fin de la période précède son début.")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise InvalidInput("au", "La période ne peut pas dépasser dix ans.")
    starts = datetime(first.year, first.month, first.day, tzinfo=PARIS)
    after = last + timedelta(days=1)
    ends = datetime(after.year, after.month, after.day, tzinfo=PARIS)
    return Period(from_=first, to=last, starts_at=ensure_utc(starts), ends_at=ensure_utc(ends))


def _quarters(period: Period) -> list[str]:
    found: list[str] = []
    day = period.from_
    while day <= period.to:
        label = f"T{(day.month - 1) // 3 + 1} {day.year}"
        if label not in found:
            found.append(label)
        day += timedelta(days=28)
    last = f"T{(period.to.month - 1) // 3 + 1} {period.to.year}"
    if last not in found:
        found.append(last)
    return found


def chain_status(chain: str, check: ChainCheck, entries: Sequence[JournalEntry]) -> ChainStatus:
    last = entries[-1] if entries else None
    return ChainStatus(
        chain=chain,
        ok=check.ok,
        entries_checked=check.entries_checked,
        head_seq=last.seq if last else None,
        head_hash=last.hash if last else None,
        first_broken_seq=check.first_broken_seq,
        reason=check.reason,
    )


def _clock_figure(clock: ClockReport, now: datetime) -> ClockFigure:
    verdict = clock.state
    if verdict == "running" and clock.deadline <= now:
        verdict = "breached"  # the deadline passed without the clock being met
    channel = None
    if clock.met_by and clock.name in AUDIENCES:
        match = _DELIVERY.match(clock.met_by)
        channel = match["means"] if match else clock.met_by
    return ClockFigure(
        clock=clock.name,
        label=clock.label,
        commitment=clock.commitment,
        target_minutes=clock.target_minutes,
        started_at=clock.started_at,
        deadline=clock.deadline,
        met_at=clock.met_at,
        delay_minutes=clock.achieved_minutes,
        verdict=verdict,
        verdict_label=COMMITMENT_STATE_LABELS[verdict],
        within_target=None if verdict == "running" else verdict == "met",
        channel=channel,
        sources=clock.sources,
    )


def _kind_label(kind: str) -> str:
    try:
        return CRISIS_KIND_LABELS[CrisisKind(kind)]
    except ValueError:
        return kind


BROKEN_NOTE = "Chaîne rompue : exclu."
MISTAKE_NOTE = "Ouvert par erreur : exclu des indicateurs"


def _excluded_row(crisis_id: str, title: str, exercise: bool, chain: ChainStatus) -> EventRow:
    """An event whose chain is broken: named, and said to be left out, nothing more; what its
    entries say cannot be trusted, so no figure, date or sentence is drawn from them."""
    return EventRow(
        crisis_id=crisis_id,
        title=title,
        kind="",
        kind_label="",
        exercise=exercise,
        communes=[],
        reported_at=None,
        decided_at=None,
        closed_at=None,
        counted=False,
        note=BROKEN_NOTE,
        clocks={},
        cip=None,
        chain=chain,
        retex_recorded=False,
        sources=[],
    )


def event_row(
    crisis_id: str, entries: Sequence[JournalEntry], check: ChainCheck, now: datetime
) -> EventRow:
    report = build_report(crisis_id=crisis_id, entries=entries, chain=check, now=now)
    chain = chain_status(crisis_id, check, entries)
    if not check.ok:
        return _excluded_row(crisis_id, report.title, report.exercise, chain)
    heads = {
        e.kind: entry_ref(e)
        for e in entries
        if e.kind in ("event.CrisisOpened", "event.CodActivated", "event.CrisisClosed")
    }
    clocks = {c.name: _clock_figure(c, now) for c in report.clocks if c.name != "cip"}
    cip = None
    if report.cip is not None:
        cip_clock = next((c for c in report.clocks if c.name == "cip"), None)
        cip_figure = _clock_figure(cip_clock, now) if cip_clock else None
        cip = CipFigure(
            ordered_at=report.cip.ordered_at,
            numero_unique=report.cip.numero_unique,
            operational_at=report.cip.operational_at,
            delay_minutes=report.cip.minutes_to_operational,
            target_minutes=cip_clock.target_minutes if cip_clock else None,
            within_target=cip_figure.within_target if cip_figure else None,
            published=report.cip.published_at is not None,
            published_at=report.cip.published_at,
            sources=report.cip.sources,
        )
    note = None
    mistake = report.opened_by_mistake
    if mistake:
        # Counted nowhere, named with its reason: the auditor sees why it is left out.
        note = f"{MISTAKE_NOTE} (motif : {report.close_reason or 'non précisé'})."
    elif report.cod_decided_at is None:
        note = "Clos sans activation du COD." if report.closed_at else "COD non activé à ce jour."
    corrections = [f"{c.label} : {text}." for c in report.clocks for text in c.corrections]
    if corrections and not mistake:
        # The figures count the corrected values; the note says what was corrected and why.
        note = " ".join([*([note] if note else []), "Horloge corrigée —", *corrections])
    return EventRow(
        crisis_id=crisis_id,
        title=report.title,
        kind=report.kind,
        kind_label=_kind_label(report.kind),
        exercise=report.exercise,
        communes=report.communes,
        reported_at=report.reported_at,
        decided_at=report.cod_decided_at,
        closed_at=report.closed_at,
        counted=not mistake,
        note=note,
        clocks={} if mistake else clocks,
        cip=None if mistake else cip,
        chain=chain,
        retex_recorded=any(e.kind == "event.RetexRecorded" for e in entries),
        sources=list(heads.values()),
        handsets=[] if mistake else merge_handsets(h for m in report.messages for h in m.handsets),
    )


def _stats_fields(figures: Sequence[tuple[str, ClockFigure]]) -> dict[str, object]:
    measured = [(cid, f) for cid, f in figures if f.verdict in MEASURED]
    within = sum(1 for _, f in measured if f.verdict == "met")
    delays = [f.delay_minutes for _, f in measured if f.delay_minutes is not None]
    return {
        "events": len(measured),
        "within_target": within,
        "share_within_target": round(within / len(measured), 4) if measured else None,
        "median_minutes": round(statistics.median(delays), 2) if delays else None,
        "p90_minutes": percentile(delays, 0.9),
        "worst_minutes": max(delays) if delays else None,
        "met_late": sum(1 for _, f in measured if f.verdict == "met_late"),
        "not_met": sum(1 for _, f in measured if f.verdict == "breached"),
        "running": sum(1 for _, f in figures if f.verdict == "running"),
        "event_ids": [cid for cid, _ in measured],
    }


def clock_stats(rows: Sequence[EventRow], clock: str) -> Stats:
    figures = [(r.crisis_id, r.clocks[clock]) for r in rows if clock in r.clocks]
    return Stats.model_validate(_stats_fields(figures))


def _audience_stats(rows: Sequence[EventRow], audience: str) -> AudienceStats:
    figures = [(r.crisis_id, r.clocks[audience]) for r in rows if audience in r.clocks]
    channels: dict[str, int] = {}
    for _, figure in figures:
        if figure.channel is not None:
            channels[figure.channel] = channels.get(figure.channel, 0) + 1
    return AudienceStats.model_validate(
        {**_stats_fields(figures), "first_channels": dict(sorted(channels.items()))}
    )


def _cip_stats(rows: Sequence[EventRow]) -> CipStats:
    orders = [r for r in rows if r.cip is not None]
    delays = [r.cip.delay_minutes for r in orders if r.cip and r.cip.delay_minutes is not None]
    within = sum(1 for r in orders if r.cip and r.cip.within_target)
    published = sum(1 for r in orders if r.cip and r.cip.published)
    return CipStats(
        events=len(delays),
        within_target=within,
        share_within_target=round(within / len(delays), 4) if delays else None,
        median_minutes=round(statistics.median(delays), 2) if delays else None,
        p90_minutes=percentile(delays, 0.9),
        worst_minutes=max(delays) if delays else None,
        met_late=len(delays) - within,
        not_met=0,
        running=len(orders) - len(delays),
        event_ids=[r.crisis_id for r in orders],
        orders=len(orders),
        published=published,
        not_published=len(orders) - published,
    )


def _quarter_shares(rows: Sequence[EventRow], period: Period) -> list[QuarterShare]:
    shares: list[QuarterShare] = []
    for quarter in _quarters(period):
        in_quarter = [r for r in rows if r.decided_at and quarter_of(r.decided_at) == quarter]
        for clock in ("cell", *AUDIENCES):
            stats = clock_stats(in_quarter, clock)
            shares.append(
                QuarterShare(
                    quarter=quarter,
                    clock=clock,
                    events=stats.events,
                    within_target=stats.within_target,
                    share_within_target=stats.share_within_target,
                )
            )
    return shares


def _retex_section(
    retexes: Sequence[tuple[str, dict[str, Any], RetexView]], period: Period, now: datetime
) -> RetexSection:
    today = ensure_utc(now).astimezone(PARIS).date()
    open_actions: list[ActionRow] = []
    done: list[ActionRow] = []
    for crisis_id, head, retex in retexes:
        for action in retex.actions:
            item = ActionRow(
                crisis_id=crisis_id,
                title=str(head.get("title", "")),
                exercise=bool(head.get("exercise", False)),
                action=action,
                overdue=action.state != ActionState.DONE and action.due_date < today,
            )
            if action.state != ActionState.DONE:
                open_actions.append(item)
            elif action.done_at and period.starts_at <= action.done_at < period.ends_at:
                done.append(item)
    open_actions.sort(key=lambda a: (a.action.due_date, a.title))
    done.sort(key=lambda a: (a.action.done_at or now, a.title))
    return RetexSection(
        events_with_retex=len(retexes), open_actions=open_actions, done_in_period=done
    )


def _statement(period: Period, real: Sequence[EventRow], exercises: int | None) -> str | None:
    """`exercises` is None when the programme's chain is broken: nothing is said of them."""
    if real:
        return None
    span = f"entre le {long_date(period.from_)} et le {long_date(period.to)}"
    statement = (
        f"Aucun événement réel {span} : les engagements 47, 48 et 50 n'ont pas eu à s'appliquer."
    )
    if exercises is None:
        return statement
    if not exercises:
        return f"{statement} Aucun exercice non plus."
    played = "a été joué" if exercises == 1 else "ont été joués"
    held = f"{counted(exercises, 'exercice')} {played}."
    return f"{statement} {held}"


def _anchor(entries: Sequence[JournalEntry]) -> tuple[datetime | None, dict[str, Any]]:
    """The instant an event is counted at (its COD decision, else its report) and its head."""
    head: dict[str, Any] = {}
    decided: datetime | None = None
    for entry in entries:
        if entry.kind == "event.CrisisOpened":
            head = entry.payload
        elif entry.kind == "event.CodActivated" and decided is None:
            decided = datetime.fromisoformat(entry.payload["decided_at"])
    if decided is not None:
        return decided, head
    reported = head.get("reported_at")
    return (datetime.fromisoformat(reported) if reported else None), head


def build_indicators(
    *,
    streams: Mapping[str, Sequence[JournalEntry]],
    verify: Callable[[str], ChainCheck],
    period: Period,
    now: datetime,
    excluded: Iterable[str] = (),
) -> Indicators:
    """`streams` holds every journal stream (the `system` one included); `verify` is
    `audit verify` for one chain, run on each chain the pack uses."""
    skip = EXCLUDED_STREAMS | set(excluded)
    found: list[tuple[datetime, EventRow]] = []
    retexes: list[tuple[str, dict[str, Any], RetexView]] = []
    broken_elsewhere: list[ChainStatus] = []
    for stream, entries in streams.items():
        if stream in skip or not entries:
            continue
        anchor, head = _anchor(entries)
        in_period = anchor is not None and period.starts_at <= anchor < period.ends_at
        retex = current_retex(stream, entries)
        if retex is None and not in_period:
            continue
        check = verify(stream)
        if retex is not None:
            if check.ok:
                retexes.append((stream, head, retex))
            elif not in_period:  # its actions are left out: the pack says why
                broken_elsewhere.append(chain_status(stream, check, entries))
        if anchor is None or not in_period:
            continue
        found.append((anchor, event_row(stream, entries, check, now)))
    found.sort(key=lambda item: (item[0], item[1].crisis_id))
    real = [row for _, row in found if not row.exercise]
    exercises = [row for _, row in found if row.exercise]
    counted = [r for r in real if r.counted]
    counted_exercises = [r for r in exercises if r.counted]
    system = streams.get(SYSTEM_STREAM, [])
    chains = [r.chain for r in (*real, *exercises)] + broken_elsewhere
    system_ok = True
    if system:
        system_check = verify(SYSTEM_STREAM)
        system_ok = system_check.ok
        chains.append(chain_status(SYSTEM_STREAM, system_check, system))
    if system_ok:
        programme = programme_figures(system, period=period, now=now, exercises=counted_exercises)
    else:
        # The programme and its runs are journalled on the broken chain: nothing is drawn
        # from it, commitment 49 says it is excluded.
        programme = programme_figures([], period=period, now=now, exercises=[])
        programme = programme.model_copy(update={"excluded": True})
    commitments = Commitments(
        c47=CellStats.model_validate(
            {
                **clock_stats(counted, "cell").model_dump(),
                "cod_activations": sum(1 for r in counted if r.decided_at is not None),
                "without_cod": sum(1 for r in counted if r.decided_at is None),
            }
        ),
        c48={a: _audience_stats(counted, a) for a in AUDIENCES},
        c49=programme,
        c50=_cip_stats(counted),
    )
    return Indicators(
        period=period,
        generated_at=now,
        statement=_statement(
            period,
            [r for r in real if r.counted or r.note == BROKEN_NOTE],
            None if programme.excluded else programme.held + programme.unplanned_held,
        ),
        commitments=commitments,
        quarters=_quarter_shares(counted, period),
        events=real,
        handsets=merge_handsets(h for r in counted for h in r.handsets),
        exercises=ExerciseSection(
            count=len(exercises),
            events=exercises,
            clocks={c: clock_stats(counted_exercises, c) for c in ("cell", *AUDIENCES)},
            programme_runs_unattended=programme.held_unattended,
            handsets=merge_handsets(h for r in counted_exercises for h in r.handsets),
        ),
        retex=_retex_section(retexes, period, now),
        chains=chains,
        all_chains_ok=all(c.ok for c in chains),
    )
