"""The append-only journal: one SHA-256 chain per stream (a crisis, or `system`).

No code path updates or deletes an entry. Each entry's hash covers its own fields and the
previous entry's hash; `journal_heads` keeps the last link so a truncated tail is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring as _json_string
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, case, func, insert, or_, select, update

from crisis.clock import ensure_utc
from crisis.jsonable import canonical_text, to_jsonable
from crisis.store.markers import Marker, only_these_appended
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


class StoredEntry(NamedTuple):
    """An entry as stored, its payload as the canonical text that was hashed: what the chain
    is checked on, from the database or from an export."""

    stream: str
    seq: int
    at: datetime
    actor: str
    kind: str
    payload: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainCheck:
    stream: str
    entries_checked: int
    ok: bool
    first_broken_seq: int | None = None
    reason: str | None = None


# The JSON text of field values that recur from entry to entry (a stream's id, its actors,
# the kinds, a batch's instant), kept so that checking a long chain encodes each once.
_RECURRING: dict[str | datetime, str] = {}
_RECURRING_MAX = 4096


def _recurring(value: str | datetime) -> str:
    text = _RECURRING.get(value)
    if text is None:
        if len(_RECURRING) >= _RECURRING_MAX:
            _RECURRING.clear()
        plain = value if isinstance(value, str) else ensure_utc(value).isoformat()
        text = _RECURRING[value] = _json_string(plain)
    return text


def entry_hash(
    *, stream: str, seq: int, at: datetime, actor: str, kind: str, payload_text: str, prev_hash: str
) -> str:
    """SHA-256 of the canonical JSON of the entry's fields (`canonical_json` of the dict of
    them: keys sorted, no spaces, non-ASCII as is), its payload included as its text.

    The text is put together here rather than by the encoder, with the encoder's own string
    escaping: it is the same text (a test holds them equal), and the chain check of a report
    hashes every entry of the stream.
    """
    body = "".join(
        (
            '{"actor":',
            _recurring(actor),
            ',"at":',
            _recurring(at),
            ',"kind":',
            _recurring(kind),
            ',"payload":',
            _json_string(payload_text),
            ',"prev_hash":',
            _json_string(prev_hash),
            ',"seq":',
            int.__repr__(seq),
            ',"stream":',
            _recurring(stream),
            "}",
        )
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# Rows fetched at a time when a whole stream is read (a server-side cursor on PostgreSQL).
# An entry of a batch's acceptances holds the whole batch (about 20 KB for 100 deliveries):
# 200 of them are 4 MB of text held at once (2,000 held 20 MB more at the report's peak).
STREAM_CHUNK = 200
# The columns of a `StoredEntry`, in its order: rows are read by position (a SQLAlchemy
# row's attribute costs half a microsecond, and a report reads 100,000 entries).
_STORED = select(*(journal.c[name] for name in StoredEntry._fields))
# A stream as stored, in the order its chain is checked.
_BY_ROW_ID = _STORED.order_by(journal.c.id).execution_options(yield_per=STREAM_CHUNK)
# Built once: each batch of delivery outcomes appends to its crisis's stream.
_HEAD_FOR_UPDATE = (
    select(journal_heads.c.seq, journal_heads.c.hash)
    .where(journal_heads.c.stream == bindparam("stream"))
    .with_for_update()
)
_MOVE_HEAD = (
    update(journal_heads)
    .where(
        journal_heads.c.stream == bindparam("head_stream"),
        journal_heads.c.seq == bindparam("head_seq"),
    )
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def _entry(row: Iterable[Any]) -> JournalEntry:
    stream, seq, at, actor, kind, payload, prev_hash, digest = row
    return JournalEntry(
        stream=stream,
        seq=seq,
        at=at,
        actor=actor,
        kind=kind,
        payload=json.loads(payload),
        prev_hash=prev_hash,
        hash=digest,
    )


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
        items: Sequence[tuple[str, Any]],
    ) -> list[JournalEntry]:
        """Append (kind, payload) entries to one stream, chained in order; a payload is a
        mapping or a dataclass (an event), made plain JSON here.

        The same chain as one `append` per entry, in three statements whatever their number:
        the head is read (and locked) once, the entries inserted together, the head moved once.
        """
        if not items:
            return []
        head = self._conn.execute(_HEAD_FOR_UPDATE, {"stream": stream}).first()
        seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        rows: list[dict[str, Any]] = []
        entries: list[JournalEntry] = []
        for kind, payload in items:
            seq += 1
            plain = to_jsonable(payload)
            payload_text = canonical_text(plain)
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
                    payload=plain,
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            prev_hash = digest
        self._conn.execute(insert(journal), rows)
        if head:
            # The only update in the journal tables: moving the head pointer forward.
            self._conn.execute(
                _MOVE_HEAD,
                {
                    "head_stream": stream,
                    "head_seq": head.seq,
                    "new_seq": seq,
                    "new_hash": prev_hash,
                },
            )
        else:
            self._conn.execute(insert(journal_heads).values(stream=stream, seq=seq, hash=prev_hash))
        return entries

    def entries(
        self, stream: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[JournalEntry]:
        query = _STORED.where(journal.c.stream == stream, journal.c.seq > after_seq).order_by(
            journal.c.seq
        )
        if limit is not None:
            query = query.limit(limit)
        return [_entry(row) for row in self._conn.execute(query)]

    def iter_entries(self, stream: str) -> Iterator[JournalEntry]:
        """Every entry of a stream in order, read in chunks: memory stays flat however long
        the stream (older journals hold one entry per delivery of a national fan-out)."""
        query = (
            _STORED.where(journal.c.stream == stream)
            .order_by(journal.c.seq)
            .execution_options(yield_per=STREAM_CHUNK)
        )
        result = self._conn.execute(query)
        try:
            for row in result:
                yield _entry(row)
        finally:
            result.close()

    def checker(self, stream: str) -> ChainChecker:
        """A checker of the stream's chain against its recorded head, for `checked_entries`."""
        return ChainChecker(stream, self.head(stream))

    def checked_entries(self, stream: str, checker: ChainChecker) -> Iterator[JournalEntry]:
        """Every entry of a stream in the order `verify` walks it (by row id), each checked by
        `checker` as it is read: a report checks the chain and reads the entries in one pass.
        When the chain is intact, this order is the order of the sequence numbers."""
        result = self._conn.execute(_BY_ROW_ID.where(journal.c.stream == stream))
        try:
            for row in result:
                stored = StoredEntry._make(row)
                checker.feed(stored)
                yield _entry(stored)
        finally:
            result.close()

    def only_appended(self, kinds: Collection[str], *, since: Marker, marker: Marker) -> bool:
        """Whether all that was committed between the two markers is entries of these kinds
        (`crisis.store.markers.only_these_appended`; a range of the primary key)."""
        query = (
            select(
                func.count(),
                func.coalesce(func.sum(case((journal.c.kind.not_in(list(kinds)), 1), else_=0)), 0),
                select(func.coalesce(func.sum(journal_heads.c.seq), 0)).scalar_subquery(),
            )
            .select_from(journal)
            .where(journal.c.id > since.last_entry_id, journal.c.id <= marker.last_entry_id)
        )
        row = self._conn.execute(query).one()
        return only_these_appended((int(row[0]), int(row[1]), int(row[2])), since, marker)

    def head_seqs(self, streams: Collection[str]) -> dict[str, int]:
        """The number of each stream's last entry, in one statement (0 when it has none)."""
        if not streams:
            return {}
        query = select(journal_heads.c.stream, journal_heads.c.seq).where(
            journal_heads.c.stream.in_(list(streams))
        )
        found = {stream: int(seq) for stream, seq in self._conn.execute(query)}
        return {stream: found.get(stream, 0) for stream in streams}

    def entries_after(self, after: Mapping[str, int]) -> dict[str, list[JournalEntry]]:
        """The entries of several streams past the given numbers, in one statement."""
        if not after:
            return {}
        query = _STORED.where(
            or_(*(and_(journal.c.stream == s, journal.c.seq > seq) for s, seq in after.items()))
        ).order_by(journal.c.stream, journal.c.seq)
        found: dict[str, list[JournalEntry]] = {stream: [] for stream in after}
        for row in self._conn.execute(query):
            entry = _entry(row)
            found[entry.stream].append(entry)
        return found

    def head_seq(self, stream: str) -> int:
        """The number of the stream's last entry (0 when it has none)."""
        seq = self._conn.scalar(select(journal_heads.c.seq).where(journal_heads.c.stream == stream))
        return int(seq or 0)

    def streams(self) -> list[str]:
        query = select(journal.c.stream).distinct().order_by(journal.c.stream)
        found = set(self._conn.scalars(query))
        found.update(self._conn.scalars(select(journal_heads.c.stream)))
        return sorted(found)

    def verify(self, stream: str) -> ChainCheck:
        """Walk the chain in the order the database returns it, by row id, and check each link."""
        head = self.head(stream)
        rows = self._conn.execute(_BY_ROW_ID.where(journal.c.stream == stream))
        try:
            return check_chain(stream, map(StoredEntry._make, rows), head)
        finally:
            rows.close()

    def stored_rows(self, stream: str) -> list[StoredEntry]:
        """The entries as stored (payload text included), for an export."""
        query = _STORED.where(journal.c.stream == stream).order_by(journal.c.id)
        return [StoredEntry._make(row) for row in self._conn.execute(query)]

    def head(self, stream: str) -> tuple[int, str] | None:
        row = self._conn.execute(
            select(journal_heads.c.seq, journal_heads.c.hash).where(
                journal_heads.c.stream == stream
            )
        ).first()
        return None if row is None else (row.seq, row.hash)


def check_chain(
    stream: str, rows: Iterable[StoredEntry], head: tuple[int, str] | None
) -> ChainCheck:
    """Check each link of a stream's entries (as stored) and its recorded head.

    The database's `verify` and the offline check of an export both come here.
    """
    checker = ChainChecker(stream, head)
    for row in rows:
        if not checker.feed(row):
            break
    return checker.result()


class ChainChecker:
    """The links of one stream's stored entries, checked one row at a time in the order fed,
    then its recorded head."""

    def __init__(self, stream: str, head: tuple[int, str] | None) -> None:
        self._stream = stream
        self._head = head
        self._expected_prev = GENESIS_HASH
        self._expected_seq = 1
        self._broken: ChainCheck | None = None

    def feed(self, row: StoredEntry) -> bool:
        """Check one more stored entry; False once the chain is broken (no row after the first
        broken link is checked)."""
        if self._broken is not None:
            return False
        expected_seq = self._expected_seq
        problem = _link_problem(row, expected_seq=expected_seq, expected_prev=self._expected_prev)
        if problem is not None:
            broken_seq, reason = problem
            self._broken = ChainCheck(self._stream, expected_seq - 1, False, broken_seq, reason)
            return False
        self._expected_prev = row.hash
        self._expected_seq = expected_seq + 1
        return True

    def result(self) -> ChainCheck:
        if self._broken is not None:
            return self._broken
        stream, head = self._stream, self._head
        last_seq = self._expected_seq - 1
        if head is None and last_seq == 0:
            return ChainCheck(stream, 0, True)
        if head is None or head[0] != last_seq or head[1] != self._expected_prev:
            return ChainCheck(
                stream,
                last_seq,
                False,
                last_seq + 1,
                "la fin de la chaîne ne correspond pas à la dernière entrée enregistrée "
                "(entrées supprimées en fin de journal)",
            )
        return ChainCheck(stream, last_seq, True)


def _link_problem(
    row: StoredEntry, *, expected_seq: int, expected_prev: str
) -> tuple[int, str] | None:
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
