"""The journal as JSON lines for archiving, and the offline check of such an export.

An export starts with one `export` line, then, per stream, its entries exactly as stored (the
payload as its canonical text, so that every hash can be computed again) and its `head` line.
`verify_export` runs the very check the database runs (`check_chain`) on the file alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from crisis.clock import ensure_utc
from crisis.store.journal import ChainCheck, JournalEntry, StoredEntry, check_chain

EXPORT_FORMAT = "crisis-journal/1"


class UnreadableExport(ValueError):  # noqa: N818
    """The file is not a journal export; the message says where, in French."""


def export_lines(
    journal: JournalRows, streams: Iterable[str], *, exported_at: datetime
) -> Iterator[str]:
    streams = list(streams)
    yield _line(
        {
            "type": "export",
            "format": EXPORT_FORMAT,
            "exported_at": ensure_utc(exported_at).isoformat(),
            "streams": streams,
        }
    )
    for stream in streams:
        for row in journal.stored_rows(stream):
            yield _line(
                {
                    "type": "entry",
                    "stream": row.stream,
                    "seq": row.seq,
                    "at": ensure_utc(row.at).isoformat(),
                    "actor": row.actor,
                    "kind": row.kind,
                    "payload": row.payload,
                    "prev_hash": row.prev_hash,
                    "hash": row.hash,
                }
            )
        head = journal.head(stream)
        if head is not None:
            yield _line({"type": "head", "stream": stream, "seq": head[0], "hash": head[1]})


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n"


def _why(error: Exception) -> str:
    """What is wrong with a line of an export, in French."""
    if isinstance(error, json.JSONDecodeError):
        return f"JSON invalide, caractère {error.pos + 1}"
    if isinstance(error, KeyError):
        return f"champ « {error.args[0]} » absent"
    return "valeur inattendue"


class JournalRows(Protocol):
    """What an export reads of a journal: the database's, or one read back from an export."""

    def stored_rows(self, stream: str) -> list[StoredEntry]: ...

    def head(self, stream: str) -> tuple[int, str] | None: ...


def _parse(
    lines: Iterable[str],
) -> tuple[list[str], dict[str, list[StoredEntry]], dict[str, tuple[int, str]]]:
    """The streams an export declares, their entries as stored, their heads."""
    entries: dict[str, list[StoredEntry]] = {}
    heads: dict[str, tuple[int, str]] = {}
    declared: list[str] | None = None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            kind = data["type"]
            if kind == "export":
                if data.get("format") != EXPORT_FORMAT:
                    raise UnreadableExport(f"ligne {number} : format d'export inconnu")
                declared = [str(s) for s in data["streams"]]
            elif kind == "entry":
                entry = StoredEntry(
                    stream=str(data["stream"]),
                    seq=int(data["seq"]),
                    at=datetime.fromisoformat(data["at"]),
                    actor=str(data["actor"]),
                    kind=str(data["kind"]),
                    payload=str(data["payload"]),
                    prev_hash=str(data["prev_hash"]),
                    hash=str(data["hash"]),
                )
                entries.setdefault(entry.stream, []).append(entry)
            elif kind == "head":
                heads[str(data["stream"])] = (int(data["seq"]), str(data["hash"]))
            else:
                raise UnreadableExport(f"ligne {number} : type de ligne inconnu « {kind} »")
        except (ValueError, KeyError, TypeError) as error:
            if isinstance(error, UnreadableExport):
                raise
            raise UnreadableExport(f"ligne {number} : ligne illisible ({_why(error)})") from None
    if declared is None:
        raise UnreadableExport(
            "ce fichier n'est pas un export du journal (ligne « export » absente)"
        )
    return declared, entries, heads


def verify_export(lines: Iterable[str]) -> list[ChainCheck]:
    declared, entries, heads = _parse(lines)
    streams = sorted(set(declared) | set(entries) | set(heads))
    return [check_chain(stream, entries.get(stream, []), heads.get(stream)) for stream in streams]


class ExportedJournal:
    """A journal read back from an export (a drill's, kept with its report): read as the
    database's is, for a replay."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.streams, self._rows, self._heads = _parse(lines)

    def stored_rows(self, stream: str) -> list[StoredEntry]:
        return list(self._rows.get(stream, []))

    def head(self, stream: str) -> tuple[int, str] | None:
        return self._heads.get(stream)

    def head_seq(self, stream: str) -> int:
        head = self._heads.get(stream)
        return head[0] if head else 0

    def entries(
        self, stream: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[JournalEntry]:
        rows = [r for r in self._rows.get(stream, []) if r.seq > after_seq]
        return [_entry(r) for r in (rows if limit is None else rows[:limit])]

    def iter_entries(self, stream: str) -> Iterator[JournalEntry]:
        return iter(self.entries(stream))


def _entry(row: StoredEntry) -> JournalEntry:
    return JournalEntry(
        stream=row.stream,
        seq=row.seq,
        at=ensure_utc(row.at),
        actor=row.actor,
        kind=row.kind,
        payload=json.loads(row.payload),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
