"""Runs of delivery outcomes in the chronology: a national fan-out is one line per run."""

from __future__ import annotations

from crisis.reporting.report_models import ChronologyEntry
from crisis.store.journal import JournalEntry

# A fan-out journals one outcome per delivery: consecutive outcomes of one message on one
# channel for one audience make one line, with their first and last entry numbers.
GROUPED_KINDS = frozenset({"event.DeliveryAccepted", "event.DeliveryFailed"})


def extend_group(line: ChronologyEntry, entry: JournalEntry) -> None:
    line.last_seq = entry.seq
    line.entries += 1
    line.hash = entry.hash
    p = entry.payload
    what = "acceptées" if entry.kind == "event.DeliveryAccepted" else "en échec"
    line.summary = f"{p.get('channel')} → {p.get('audience')} : {line.entries} diffusions {what}"
    if entry.kind == "event.DeliveryFailed":
        line.summary += f" (dernière raison : {p.get('reason')})"
