"""What the replay shows at an instant: the event rebuilt from its journal, and the entries
recorded around that instant. Shared by the replay page, its fragment and its export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crisis.clock import PARIS
from crisis.domain.errors import InvalidInput
from crisis.domain.oncall import TEAM_LABELS, Team
from crisis.reporting.summary import entry_summary, journal_label
from crisis.services.retex_views import current_retex
from crisis.services.situation import Annotation, Situation
from crisis.services.situation_cache import EventFolds, JournalReader, SituationCache
from crisis.store.journal import JournalEntry
from crisis.web.views import CrisisSummary, crisis_summary

# Entries listed beside the state: this many before the instant, and after it.
ENTRIES_BEFORE = 8
ENTRIES_AFTER = 4
# An annotation is « at this instant » within this many minutes of it.
ANNOTATION_NEAR = timedelta(minutes=5)


def parse_instant(raw: str, field: str = "a") -> datetime:
    """`2026-11-29T19:42` (or with seconds), read as Paris time, as an instant in UTC."""
    try:
        local = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            field, f"Instant illisible « {raw[:40]} » : aaaa-mm-jjThh:mm attendu, heure de Paris."
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=PARIS)
    return local.astimezone(UTC)


def paris_link(instant: datetime) -> str:
    """The `?a=` of an instant: Paris time, to the second when it has seconds."""
    local = instant.astimezone(PARIS).replace(microsecond=0, tzinfo=None)
    text = local.isoformat()
    return text[:-3] if text.endswith(":00") else text


@dataclass(frozen=True, slots=True)
class EntryLine:
    seq: int
    at: datetime
    actor: str
    label: str
    detail: str
    seen: bool  # recorded by the instant shown
    hash: str


def entry_line(entry: JournalEntry, *, seen: bool) -> EntryLine:
    return EntryLine(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        label=journal_label(entry.kind),
        detail=entry_summary(entry),
        seen=seen,
        hash=entry.hash,
    )


@dataclass(frozen=True, slots=True)
class Frame:
    """The replay at one instant."""

    crisis_id: str
    at: datetime
    start: datetime
    end: datetime
    seen: int  # entries recorded by `at`
    total: int
    summary: CrisisSummary
    situation: Situation
    entries: list[EntryLine]
    annotations: list[Annotation]
    near: list[Annotation]
    actions: dict[str, str]  # RETEX corrective actions, by id: their description
    closed: bool = False  # the slider ends at the close (else: now)

    @property
    def offset_seconds(self) -> int:
        return int((self.at - self.start).total_seconds())

    @property
    def span_seconds(self) -> int:
        return max(1, int((self.end - self.start).total_seconds()))

    @property
    def marks(self) -> list[tuple[int, str]]:
        """The annotated instants, as marks along the slider (offset in seconds, text)."""
        return [
            (int((a.at - self.start).total_seconds()), a.text[:80])
            for a in self.annotations
            if self.start <= a.at <= self.end
        ]

    def link(self, instant: datetime) -> str:
        return f"/evenements/{self.crisis_id}/rejouer?a={paris_link(instant)}"

    @property
    def previous_minute(self) -> datetime:
        floor = self.at.replace(second=0, microsecond=0)
        return max(self.start, floor - timedelta(minutes=1) if floor == self.at else floor)

    @property
    def next_minute(self) -> datetime:
        return min(self.end, self.at.replace(second=0, microsecond=0) + timedelta(minutes=1))


def span(folds: EventFolds, now: datetime) -> tuple[datetime, datetime]:
    """From the first entry to the close (or now, while the event runs)."""
    start = folds.first_at or now
    end = folds.closed_at or now
    return start, max(start, end)


def team_label(team: str) -> str:
    try:
        return TEAM_LABELS[Team(team)]
    except ValueError:
        return team


def frame(
    journal: JournalReader,
    situations: SituationCache,
    crisis_id: str,
    *,
    now: datetime,
    at: datetime | None = None,
    entry: int | None = None,
) -> Frame:
    """The replay at `at`, or just after entry `entry`; by default at the close (or now)."""
    folds = situations.folds(journal, crisis_id)
    start, end = span(folds, now)
    if entry is not None and folds.visible:
        seen = min(max(entry, 1), len(folds.visible))
        instant = folds.instant_of(seen)
        assert instant is not None
        at = instant
        situation = situations.after_entry(journal, crisis_id, seen)
        while situation.crisis is None and seen < len(folds.visible):
            seen += 1  # the opening command's own entry: the event comes with its next
            situation = situations.after_entry(journal, crisis_id, seen)
    else:
        at = min(max(at or end, start), end)
        situation = situations.at(journal, crisis_id, at)
        seen = folds.visible_count(at)
    first = max(0, seen - ENTRIES_BEFORE)
    around = journal.entries(crisis_id, after_seq=first, limit=ENTRIES_BEFORE + ENTRIES_AFTER)
    entries = [entry_line(e, seen=e.seq <= seen) for e in around]
    retex = current_retex(crisis_id, folds.retex_entries)
    return Frame(
        crisis_id=crisis_id,
        at=at,
        start=start,
        end=end,
        seen=seen,
        total=len(folds.visible),
        summary=crisis_summary(situation, at, last_alerts=50),
        situation=situation,
        entries=entries,
        annotations=list(folds.annotations),
        near=[a for a in folds.annotations if abs(a.at - at) <= ANNOTATION_NEAR],
        actions={a.action_id: a.description for a in retex.actions} if retex else {},
        closed=folds.closed_at is not None,
    )


def state_context(fr: Frame) -> dict[str, Any]:
    """What `replay_state.html.j2` reads."""
    return {"frame": fr, "replay": fr.summary, "team_label": team_label}
