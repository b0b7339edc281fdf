"""Turn dataclasses, enums and instants into plain JSON values, deterministically."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum
from typing import Any

from crisis.clock import ensure_utc

JsonValue = Any


# Already plain: returned as they are, before the checks below (a batch's acceptances walk
# half a dozen such values per delivery).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def to_jsonable(value: Any) -> JsonValue:
    if type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, datetime):
        return ensure_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


# Built once: `json.dumps` with options builds an encoder at every call, and the journal
# serialises one payload per entry.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The one serialisation that hashes are computed over."""
    return canonical_text(to_jsonable(value))


def canonical_text(plain: JsonValue) -> str:
    """`canonical_json` of a value that `to_jsonable` has already made plain."""
    return _CANONICAL.encode(plain)
