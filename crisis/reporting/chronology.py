"""Runs of delivery outcomes in the chronology: a national fan-out is one line per run."""

from __future__ import annotations

from crisis.french import decimal
from crisis.reporting.report_models import ChronologyEntry
from crisis.reporting.summary import deliveries_accepted, delivery_route
from crisis.store.journal import JournalEntry

# A fan-out journals its outcomes batch by batch: consecutive outcomes of one message on one
# channel for one audience make one line, with their first and last entry numbers.
ACCEPTED_KINDS = frozenset({"event.DeliveriesAccepted", "event.DeliveryAccepted"})
GROUPED_KINDS = ACCEPTED_KINDS | {"event.DeliveryFailed"}


def entry_numbers(entry: ChronologyEntry) -> str:
    """A line's entry number, or the first and last numbers of a grouped run of outcomes."""
    return str(entry.seq) if entry.last_seq is None else f"{entry.seq}–{entry.last_seq}"


def deliveries_in(entry: JournalEntry) -> int:
    """How many deliveries an outcome entry speaks for (older journals: one per entry)."""
    if entry.kind == "event.DeliveriesAccepted":
        return len(entry.payload.get("deliveries", ()))
    return 1


class Run:
    """A line of the chronology that consecutive outcomes extend; the line is written once,
    when the run ends (a pydantic model's assignment is costly, and a run can be 100,000
    deliveries long)."""

    __slots__ = ("deliveries", "entries", "last", "line")

    def __init__(self, line: ChronologyEntry, first: JournalEntry) -> None:
        self.line = line
        self.entries = 1
        self.deliveries = deliveries_in(first)
        self.last: JournalEntry | None = None

    def extend(self, entry: JournalEntry) -> None:
        self.entries += 1
        self.deliveries += deliveries_in(entry)
        self.last = entry

    def close(self) -> None:
        entry, line = self.last, self.line
        if entry is None:
            return
        line.last_seq = entry.seq
        line.entries = self.entries
        line.hash = entry.hash
        p = entry.payload
        if entry.kind in ACCEPTED_KINDS:
            outcome = deliveries_accepted(self.deliveries)
        else:
            outcome = f"{decimal(self.deliveries, 0)} diffusions en échec"
        summary = f"{delivery_route(p)} : {outcome}"
        if entry.kind == "event.DeliveryFailed":
            summary += f" (dernière raison : {p.get('reason')})"
        line.summary = summary
