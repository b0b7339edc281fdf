"""How a figure names the journal entries that hold it, in every report and page."""

from __future__ import annotations

from collections.abc import Iterable

from crisis.services.retex_views import EntryRef


def entry_list(sources: Iterable[EntryRef]) -> str:
    """« n° 4, n° 13 », or « — » when a figure has no entry behind it."""
    return ", ".join(f"n° {s.seq}" for s in sources) or "—"


def cited(text: str, sources: Iterable[EntryRef]) -> str:
    """« atteint en 15 min pour 1 h (journal : n° 4, n° 35) »."""
    found = list(sources)
    return f"{text} (journal : {entry_list(found)})" if found else text
