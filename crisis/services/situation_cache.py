"""Each event's fold carried forward, and checkpoints to rebuild any past instant fast.

One `SituationCache` per service (never shared between services of one process). For each
event it keeps the fold up to the last entry read: the live pages fold only the entries
appended since their last read. Along the way it keeps a copy of the fold every few thousand
deliveries' worth of entries: the replay of an instant starts from the last copy before it
and folds the few entries left, read from the journal (a 12-hour event with 100,000
deliveries rebuilds any instant in tens of milliseconds: `benchmarks/replay.py`).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from crisis.services.retex_views import RETEX_KINDS
from crisis.services.situation import ANNOTATION_KIND, Annotation, Situation, SituationFold
from crisis.services.situation import annotation as _annotation
from crisis.store.journal import JournalEntry


class JournalReader(Protocol):
    """What the folds read of a journal: the database's (`uow.journal`), or an export's."""

    def head_seq(self, stream: str) -> int: ...

    def entries(
        self, stream: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[JournalEntry]: ...


class BatchJournalReader(JournalReader, Protocol):
    """The database's journal read for several events at once (the dashboard's list)."""

    def head_seqs(self, streams: Collection[str]) -> dict[str, int]: ...

    def entries_after(self, after: Mapping[str, int]) -> dict[str, list[JournalEntry]]: ...


# A copy of the fold after about this much work (an entry, plus one per delivery it holds).
CHECKPOINT_WEIGHT = 4000
# Events whose folds are kept; the least recently read is dropped first.
MAX_EVENTS = 64


def _weight(entry: JournalEntry) -> int:
    inside = entry.payload.get("deliveries")
    return 1 + (len(inside) if isinstance(inside, list) else 0)


@dataclass(slots=True)
class EventFolds:
    """One event: its fold so far, its checkpoints and the instant each entry became visible."""

    crisis_id: str
    final: SituationFold
    checkpoints: list[SituationFold] = field(default_factory=list)
    checkpoint_seqs: list[int] = field(default_factory=list)
    # visible[i]: from when entry i + 1 was on screen (the latest instant of the chain up to
    # it: an entry appended after a later one shows with it).
    visible: list[datetime] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    retex_entries: list[JournalEntry] = field(default_factory=list)  # for `current_retex`
    first_at: datetime | None = None
    closed_at: datetime | None = None
    checkpoint_weight: int = CHECKPOINT_WEIGHT
    _work: int = 0

    def extend(self, entries: list[JournalEntry]) -> None:
        for entry in entries:
            if entry.seq != self.final.last_seq + 1:
                raise ValueError(f"journal {self.crisis_id}: entry {entry.seq} out of order")
            self.final.apply(entry)
            previous = self.visible[-1] if self.visible else entry.at
            self.visible.append(max(previous, entry.at))
            if self.first_at is None:
                self.first_at = entry.at
            if entry.kind == ANNOTATION_KIND:
                self.annotations.append(_annotation(entry))
            elif entry.kind in RETEX_KINDS:
                self.retex_entries.append(entry)
            elif entry.kind == "event.CrisisClosed" and self.closed_at is None:
                self.closed_at = entry.at
            self._work += _weight(entry)
            if self._work >= self.checkpoint_weight:
                self.checkpoints.append(self.final.copy())
                self.checkpoint_seqs.append(self.final.last_seq)
                self._work = 0

    def visible_count(self, at: datetime) -> int:
        """How many entries (from the first) were recorded by `at`."""
        return bisect_right(self.visible, at)

    def instant_of(self, seq: int) -> datetime | None:
        return self.visible[seq - 1] if 0 < seq <= len(self.visible) else None


class SituationCache:
    def __init__(
        self, max_events: int = MAX_EVENTS, checkpoint_weight: int = CHECKPOINT_WEIGHT
    ) -> None:
        self._lock = threading.Lock()
        self._events: OrderedDict[str, EventFolds] = OrderedDict()
        self._max = max_events
        self._weight = checkpoint_weight

    def _new(self, crisis_id: str) -> EventFolds:
        return EventFolds(crisis_id, SituationFold(crisis_id), checkpoint_weight=self._weight)

    def folds(self, journal: JournalReader, crisis_id: str) -> EventFolds:
        """The event's folds, brought up to the journal's last entry."""
        with self._lock:
            head = journal.head_seq(crisis_id)
            folds = self._folds_of(crisis_id, head)
            if head > folds.final.last_seq:
                folds.extend(journal.entries(crisis_id, after_seq=folds.final.last_seq))
            return folds

    def live_many(
        self, journal: BatchJournalReader, crisis_ids: Sequence[str], now: datetime
    ) -> dict[str, Situation]:
        """Several events now, in two statements whatever their number: their heads, and the
        entries appended since any of them was last read."""
        heads = journal.head_seqs(crisis_ids)
        with self._lock:
            behind: dict[str, int] = {}
            for crisis_id in crisis_ids:
                folds = self._folds_of(crisis_id, heads[crisis_id])
                if heads[crisis_id] > folds.final.last_seq:
                    behind[crisis_id] = folds.final.last_seq
        appended = journal.entries_after(behind)
        found: dict[str, Situation] = {}
        apart: list[str] = []
        with self._lock:
            for crisis_id in crisis_ids:
                kept = self._events.get(crisis_id)
                entries = [
                    e
                    for e in appended.get(crisis_id, [])
                    if kept is not None and e.seq > kept.final.last_seq
                ]
                if kept is None or (entries and entries[0].seq != kept.final.last_seq + 1):
                    # Dropped or rebuilt by another reader meanwhile: read on its own below.
                    apart.append(crisis_id)
                    continue
                if entries:  # another reader may have folded some of them meanwhile
                    kept.extend(entries)
                found[crisis_id] = kept.final.situation(now)
        for crisis_id in apart:
            found[crisis_id] = self.live(journal, crisis_id, now)
        return found

    def _folds_of(self, crisis_id: str, head: int) -> EventFolds:
        """The event's folds, kept among the most recently read (under the lock)."""
        folds = self._events.get(crisis_id)
        if folds is None or head < folds.final.last_seq:  # new, or a store wiped (tests)
            folds = self._events[crisis_id] = self._new(crisis_id)
        self._events.move_to_end(crisis_id)
        while len(self._events) > self._max:
            self._events.popitem(last=False)
        return folds

    def live(self, journal: JournalReader, crisis_id: str, now: datetime) -> Situation:
        """The event now: the fold of every entry of its journal."""
        folds = self.folds(journal, crisis_id)
        with self._lock:
            return folds.final.situation(now)

    def at(self, journal: JournalReader, crisis_id: str, at: datetime) -> Situation:
        """The event as it was at `at`: the entries recorded by then, folded."""
        folds = self.folds(journal, crisis_id)
        return situation_at(journal, folds, folds.visible_count(at), at, lock=self._lock)

    def after_entry(self, journal: JournalReader, crisis_id: str, seq: int) -> Situation:
        """The event just after its entry `seq` was recorded (entries recorded in the same
        transaction share their instant: stepping by entry shows them one by one)."""
        folds = self.folds(journal, crisis_id)
        seq = min(max(seq, 1), len(folds.visible))
        at = folds.instant_of(seq)
        assert at is not None
        return situation_at(journal, folds, seq, at, lock=self._lock)


def situation_at(
    journal: JournalReader, folds: EventFolds, count: int, at: datetime, *, lock: threading.Lock
) -> Situation:
    """The situation after the first `count` entries, shown at `at`."""
    with lock:
        if count >= folds.final.last_seq:
            return folds.final.situation(at)
        index = bisect_right(folds.checkpoint_seqs, count) - 1
        start = folds.checkpoints[index].copy() if index >= 0 else None
    fold = start if start is not None else SituationFold(folds.crisis_id)
    missing = count - fold.last_seq
    if missing > 0:
        for entry in journal.entries(folds.crisis_id, after_seq=fold.last_seq, limit=missing):
            fold.apply(entry)
    return fold.situation(at)
