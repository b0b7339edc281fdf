"""The replay as one self-contained HTML file: every instant's state rendered in advance by
the page's own template, the journal extract with its chain head, inline style and script,
no network. For the external auditor, of an event or a drill."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Protocol

from crisis.french import long_datetime
from crisis.services.situation import SituationFold
from crisis.services.situation_cache import JournalReader, SituationCache
from crisis.store.journal_export import JournalRows, export_lines, verify_export
from crisis.web.rendering import environment
from crisis.web.replay_views import (
    Frame,
    entry_line,
    paris_link,
    span,
    state_context,
    team_label,
)
from crisis.web.views import crisis_summary

# Instants rendered in advance: each minute of the event and each entry's, at most this many
# (a long event keeps its minutes and every few entries).
MAX_SNAPSHOTS = 3000


class ReplayJournal(JournalReader, JournalRows, Protocol):
    """The database's journal, or one read back from an export (a drill's)."""


def _asset(name: str) -> str:
    return files("crisis.web").joinpath("static", name).read_text(encoding="utf-8")


def _instants(start: datetime, end: datetime, visible: list[datetime]) -> list[datetime]:
    minutes: list[datetime] = []
    t = start.replace(second=0, microsecond=0)
    if t < start:
        t += timedelta(minutes=1)
    while t <= end:
        minutes.append(t)
        t += timedelta(minutes=1)
    entries = sorted({v for v in visible if start <= v <= end})
    room = max(0, MAX_SNAPSHOTS - len(minutes))
    if len(entries) > room:
        step = -(-len(entries) // max(1, room))
        entries = entries[::step]
    return sorted({start, end, *minutes, *entries})


def export_document(
    journal: ReplayJournal, situations: SituationCache, crisis_id: str, *, now: datetime
) -> str:
    folds = situations.folds(journal, crisis_id)
    start, end = span(folds, now)
    env = environment()
    state_template = env.get_template("replay_state.html.j2")
    fragments: list[str] = []
    by_digest: dict[str, int] = {}
    snapshots: list[dict[str, object]] = []
    fold = SituationFold(crisis_id)
    entries = iter(journal.entries(crisis_id))
    pending = next(entries, None)
    lines = []
    for instant in _instants(start, end, folds.visible):
        while pending is not None and folds.visible[pending.seq - 1] <= instant:
            fold.apply(pending)
            lines.append(entry_line(pending, seen=True))
            pending = next(entries, None)
        situation = fold.situation(instant)
        fr = Frame(
            crisis_id=crisis_id,
            at=instant,
            start=start,
            end=end,
            seen=fold.last_seq,
            total=len(folds.visible),
            summary=crisis_summary(situation, instant, last_alerts=50),
            situation=situation,
            entries=[],
            annotations=[],
            near=[],
            actions={},
        )
        html = state_template.render({**state_context(fr), "team_label": team_label})
        digest = hashlib.sha256(html.encode()).hexdigest()
        if digest not in by_digest:
            by_digest[digest] = len(fragments)
            fragments.append(html)
        snapshots.append(
            {
                "at": instant.isoformat(),
                "lien": paris_link(instant),
                "texte": long_datetime(instant),
                "f": by_digest[digest],
                "seen": fold.last_seq,
            }
        )
    for entry in entries if pending is None else [pending, *entries]:
        lines.append(entry_line(entry, seen=True))
    extract = "\n".join(export_lines(journal, [crisis_id], exported_at=now))
    checks = verify_export(extract.splitlines())
    head = journal.head(crisis_id)
    last = situations.at(journal, crisis_id, end)
    summary = crisis_summary(last, end, last_alerts=0)
    return env.get_template("replay_export.html.j2").render(
        {
            "summary": summary,
            "crisis_id": crisis_id,
            "start": start,
            "end": end,
            "exported_at": now,
            "fragments": fragments,
            "snapshots": json.dumps(snapshots, ensure_ascii=False).replace("</", "<\\/"),
            "lines": lines,
            "annotations": folds.annotations,
            "head": head,
            "check": checks[0] if checks else None,
            "extract": extract.replace("</", "<\\/"),
            "style": _asset("replay-export.css"),
            "script": _asset("replay-export.js"),
        }
    )
