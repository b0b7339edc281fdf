"""The append-only journal: one SHA-256 chain per stream (a crisis, or `system`).

No code path updates or deletes an entry. Each entry's hash covers its own fields and the
previous entry's hash; `journal_heads` keeps the last link so a truncated tail is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from crisis.clock import ensure_utc
from crisis.jsonable import canonical_json
from crisis.store.tables import journal, journal_heads

GENESIS_HASH = "0" * 64
SYSTEM_STREAM = "system"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    stream: str
    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainCheck:
    stream: str
    entries_checked: int
    ok: bool
    first_broken_seq: int | None = None
    reason: str | None = None


def entry_hash(
    *, stream: str, seq: int, at: datetime, actor: str, kind: str, payload_text: str, prev_hash: str
) -> str:
    body = canonical_json(
        {
            "stream": stream,
            "seq": seq,
            "at": ensure_utc(at).isoformat(),
            "actor": actor,
            "kind": kind,
            "payload": payload_text,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# Rows fetched at a time when a whole stream is read (a server-side cursor on PostgreSQL).
STREAM_CHUNK = 2000


class Journal:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def append(
        self, *, stream: str, at: datetime, actor: str, kind: str, payload: Mapping[str, Any]
    ) -> JournalEntry:
        (entry,) = self.append_many(stream=stream, at=at, actor=actor, items=[(kind, payload)])
        return entry

    def append_many(
        self,
        *,
        stream: str,
        at: datetime,
        actor: str,
        items: Sequence[tuple[str, Mapping[str, Any]]],
    ) -> list[JournalEntry]:
        """Append (kind, payload) entries to one stream, chained in order.

        The same chain as one `append` per entry, in three statements whatever their number:
        the head is read (and locked) once, the entries inserted together, the head moved once.
        """
        if not items:
            return []
        head_query = select(journal_heads.c.seq, journal_heads.c.hash).where(
            journal_heads.c.stream == stream
        )
        head = self._conn.execute(head_query.with_for_update()).first()
        seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        rows: list[dict[str, Any]] = []
        entries: list[JournalEntry] = []
        for kind, payload in items:
            seq += 1
            payload_text = canonical_json(payload)
            digest = entry_hash(
                stream=stream,
                seq=seq,
                at=at,
                actor=actor,
                kind=kind,
                payload_text=payload_text,
                prev_hash=prev_hash,
            )
            rows.append(
                {
                    "stream": stream,
                    "seq": seq,
                    "at": at,
                    "actor": actor,
                    "kind": kind,
                    "payload": payload_text,
                    "prev_hash": prev_hash,
                    "hash": digest,
                }
            )
            entries.append(
                JournalEntry(
                    stream=stream,
                    seq=seq,
                    at=ensure_utc(at),
                    actor=actor,
                    kind=kind,
                    payload=json.loads(payload_text),
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            prev_hash = digest
        self._conn.execute(insert(journal), rows)
        if head:
            # The only update in the journal tables: moving the head pointer forward.
            self._conn.execute(
                update(journal_heads)
                .where(journal_heads.c.stream == stream, journal_heads.c.seq == head.seq)
                .values(seq=seq, hash=prev_hash)
            )
        else:
            self._conn.execute(insert(journal_heads).values(stream=stream, seq=seq, hash=prev_hash))
        return entries

    def entries(
        self, stream: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[JournalEntry]:
        query = (
            select(journal)
            .where(journal.c.stream == stream, journal.c.seq > after_seq)
            .order_by(journal.c.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        return [
            JournalEntry(
                stream=row.stream,
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                kind=row.kind,
                payload=json.loads(row.payload),
                prev_hash=row.prev_hash,
                hash=row.hash,
            )
            for row in self._conn.execute(query)
        ]

    def head_seq(self, stream: str) -> int:
        """The number of the stream's last entry (0 when it has none)."""
        seq = self._conn.scalar(select(journal_heads.c.seq).where(journal_heads.c.stream == stream))
        return int(seq or 0)

    def iter_entries(self, stream: str) -> Iterator[JournalEntry]:
        """Every entry of a stream in order, read in chunks: memory stays flat however long
        the stream (a national fan-out journals one entry per delivery)."""
        query = (
            select(journal)
            .where(journal.c.stream == stream)
            .order_by(journal.c.seq)
            .execution_options(yield_per=STREAM_CHUNK)
        )
        result = self._conn.execute(query)
        try:
            for row in result:
                yield JournalEntry(
                    stream=row.stream,
                    seq=row.seq,
                    at=row.at,
                    actor=row.actor,
                    kind=row.kind,
                    payload=json.loads(row.payload),
                    prev_hash=row.prev_hash,
                    hash=row.hash,
                )
        finally:
            result.close()

    def streams(self) -> list[str]:
        query = select(journal.c.stream).distinct().order_by(journal.c.stream)
        found = set(self._conn.scalars(query))
        found.update(self._conn.scalars(select(journal_heads.c.stream)))
        return sorted(found)

    def verify(self, stream: str) -> ChainCheck:
        """Walk the chain in the order the database returns it, by row id, and check each link."""
        rows = self._conn.execute(
            select(journal)
            .where(journal.c.stream == stream)
            .order_by(journal.c.id)
            .execution_options(yield_per=STREAM_CHUNK)
        )
        expected_prev = GENESIS_HASH
        expected_seq = 1
        try:
            for row in rows:
                problem = _link_problem(row, expected_seq=expected_seq, expected_prev=expected_prev)
                if problem is not None:
                    broken_seq, reason = problem
                    return ChainCheck(stream, expected_seq - 1, False, broken_seq, reason)
                expected_prev = row.hash
                expected_seq += 1
        finally:
            rows.close()
        head = self._conn.execute(
            select(journal_heads.c.seq, journal_heads.c.hash).where(
                journal_heads.c.stream == stream
            )
        ).first()
        last_seq = expected_seq - 1
        if head is None and last_seq == 0:
            return ChainCheck(stream, 0, True)
        if head is None or head.seq != last_seq or head.hash != expected_prev:
            return ChainCheck(
                stream,
                last_seq,
                False,
                last_seq + 1,
                "la fin de la chaîne ne correspond pas à la dernière entrée enregistrée "
                "(entrées supprimées en fin de journal)",
            )
        return ChainCheck(stream, last_seq, True)


def _link_problem(row: Any, *, expected_seq: int, expected_prev: str) -> tuple[int, str] | None:
    """The first thing wrong with one stored entry, as (sequence number, reason)."""
    if row.seq != expected_seq:
        return expected_seq, (
            f"numéro d'ordre {row.seq} trouvé là où {expected_seq} était attendu "
            "(entrée supprimée ou déplacée)"
        )
    if row.prev_hash != expected_prev:
        return row.seq, "le lien vers l'entrée précédente ne correspond pas"
    recomputed = entry_hash(
        stream=row.stream,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        kind=row.kind,
        payload_text=row.payload,
        prev_hash=row.prev_hash,
    )
    if recomputed != row.hash:
        return row.seq, "le contenu de l'entrée a été modifié (empreinte différente)"
    return None
