"""Runs of delivery outcomes in the chronology: a national fan-out is one line per run."""

from __future__ import annotations

from crisis.labels import audience_label, channel_label
from crisis.reporting.report_models import ChronologyEntry
from crisis.store.journal import JournalEntry

# A fan-out journals one outcome per delivery: consecutive outcomes of one message on one
# channel for one audience make one line, with their first and last entry numbers.
GROUPED_KINDS = frozenset({"event.DeliveryAccepted", "event.DeliveryFailed"})


class Run:
    """A line of the chronology that consecutive outcomes extend; the line is written once,
    when the run ends (a pydantic model's assignment is costly, and a run can be 100,000
    entries long)."""

    __slots__ = ("entries", "last", "line")

    def __init__(self, line: ChronologyEntry) -> None:
        self.line = line
        self.entries = 1
        self.last: JournalEntry | None = None

    def extend(self, entry: JournalEntry) -> None:
        self.entries += 1
        self.last = entry

    def close(self) -> None:
        entry, line = self.last, self.line
        if entry is None:
            return
        line.last_seq = entry.seq
        line.entries = self.entries
        line.hash = entry.hash
        p = entry.payload
        what = "acceptées" if entry.kind == "event.DeliveryAccepted" else "en échec"
        channel, audience = str(p.get("channel")), str(p.get("audience"))
        summary = (
            f"{channel_label(channel)} → {audience_label(audience)} : {self.entries} "
            f"diffusions {what}"
        )
        if entry.kind == "event.DeliveryFailed":
            summary += f" (dernière raison : {p.get('reason')})"
        line.summary = summary
