"""The journal's hash is SHA-256 of the canonical JSON of the entry's fields: the text that
`entry_hash` puts together is the text `canonical_json` writes, for any field values."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from crisis.jsonable import canonical_json
from crisis.store.journal import GENESIS_HASH, entry_hash

texts = st.text()  # every code point: quotes, backslashes, controls, accents, surrogates


def by_definition(
    *, stream: str, seq: int, at: datetime, actor: str, kind: str, payload_text: str, prev_hash: str
) -> str:
    body = canonical_json(
        {
            "stream": stream,
            "seq": seq,
            "at": at,
            "actor": actor,
            "kind": kind,
            "payload": payload_text,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@given(
    stream=texts,
    seq=st.integers(min_value=1, max_value=2**63),
    at=st.datetimes(timezones=st.just(UTC)),
    actor=texts,
    kind=texts,
    payload_text=texts,
    prev_hash=texts,
)
def test_the_hash_is_that_of_the_canonical_json_of_the_fields(
    stream: str, seq: int, at: datetime, actor: str, kind: str, payload_text: str, prev_hash: str
) -> None:
    fields = {
        "stream": stream,
        "seq": seq,
        "at": at,
        "actor": actor,
        "kind": kind,
        "payload_text": payload_text,
        "prev_hash": prev_hash,
    }
    assert entry_hash(**fields) == by_definition(**fields)  # type: ignore[arg-type]


def test_a_known_entry_keeps_its_hash() -> None:
    """A journal written by an earlier version still verifies."""
    digest = entry_hash(
        stream="crise-1",
        seq=1,
        at=datetime(2026, 11, 29, 23, 5, tzinfo=timezone(timedelta(hours=1))),
        actor="cadre « été »",
        kind="event.CrisisOpened",
        payload_text='{"title":"Crue de la Seine"}',
        prev_hash=GENESIS_HASH,
    )
    assert digest == "e1114a62cfcb5babb13415ee7f1fdb3181672caea5b2d78dbccd117c3091bc7a"
