"""Constrained text and instants of the request models, declared once for every route.

Pydantic's own constraints (length, strictness) show in the OpenAPI document; the validators
refuse what a database or a reader would choke on: NUL and other control characters, lone
surrogates, bidirectional overrides, and text that is blank once invisible characters go.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, Strict, WrapValidator
from pydantic_core import PydanticCustomError
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

# Line breaks and tabs are legitimate in message bodies and notes, nowhere else.
_LINE_BREAKS = frozenset("\n\r\t")
# Bidirectional embeddings, overrides and isolates reorder what a reader sees (U+202E…).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that draw nothing although Unicode does not file them as spaces.
_BLANK_LOOKING = frozenset("\u2800\u3164\uffa0\u115f\u1160\u180e")


def _refused_character(text: str, *, multiline: bool) -> str | None:
    for char in text:
        category = unicodedata.category(char)
        if multiline and char in _LINE_BREAKS:
            continue
        if category in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            return char
    return None


def is_blank(text: str) -> bool:
    """True when nothing visible is left once spaces and invisible characters are removed."""
    return all(
        unicodedata.category(c) in ("Zs", "Zl", "Zp", "Cc", "Cf") or c in _BLANK_LOOKING
        for c in text
    )


def _check(text: str, *, multiline: bool, required: bool) -> str:
    refused = _refused_character(text, multiline=multiline)
    if refused is not None:
        raise PydanticCustomError(
            "control_character",
            "caractère de contrôle interdit (U+{code})",
            {"code": f"{ord(refused):04X}"},
        )
    if required and is_blank(text):
        raise PydanticCustomError("blank_text", "ne doit pas être vide")
    return text


def _line(text: str) -> str:
    return _check(text, multiline=False, required=True)


def _optional_line(text: str) -> str:
    return _check(text, multiline=False, required=False)


def _lines(text: str) -> str:
    return _check(text, multiline=True, required=True)


def _optional_lines(text: str) -> str:
    return _check(text, multiline=True, required=False)


PlainLine = Annotated[str, Strict(), AfterValidator(_line)]
"""One line of visible text; its length is bounded by the field that uses it."""

OptionalPlainLine = Annotated[str, Strict(), AfterValidator(_optional_line)]
"""One line of text that may be empty."""

PlainText = Annotated[str, Strict(), AfterValidator(_lines)]
"""Visible text where line breaks are legitimate (message bodies, reasons)."""

OptionalPlainText = Annotated[str, Strict(), AfterValidator(_optional_lines)]
"""Text where line breaks are legitimate, possibly empty (notes)."""

ShortName = Annotated[PlainLine, Field(min_length=1, max_length=200)]
"""An item of a list of names or identifiers (communes, list names, contacts)."""


# Instants outside these years are typing mistakes; the domain narrows further (a COD decision
# at most CRISIS_MAX_BACKDATE_DAYS old) and this keeps year 1 or 9999 out of any arithmetic.
_ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}[T ]")
EARLIEST_YEAR = 1970
LATEST_YEAR = 2999


def _iso_instant(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    # A Unix timestamp (a number, or in a query string the text of one) or any other
    # non-string is a client mistake, not an instant to guess.
    if not isinstance(value, str | datetime) or (
        isinstance(value, str) and not _ISO_DATE_START.match(value)
    ):
        raise PydanticCustomError("instant_type", "date et heure ISO 8601 attendues")
    result: datetime = handler(value)
    try:
        in_utc = result.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST_YEAR <= in_utc.year <= LATEST_YEAR:
        raise PydanticCustomError(
            "instant_range",
            "date hors de la plage acceptée ({earliest} à {latest})",
            {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR},
        )
    return in_utc


Instant = Annotated[
    AwareDatetime,
    WrapValidator(_iso_instant),
    Field(json_schema_extra={"format": "date-time"}),
]
"""An ISO 8601 instant with its offset, as a JSON string (never a number)."""

MAX_STORED_INT = 2_147_483_647
"""The largest integer every store keeps (PostgreSQL `integer`): numbers in requests stop there."""

StrictFlag = Annotated[bool, Strict()]
"""A JSON boolean: `"yes"`, `1` or `"true"` are refused."""


def check_plain_value(value: Any) -> None:
    """Refuse control characters anywhere in a free-form JSON value (template variables)."""
    if isinstance(value, str):
        _check(value, multiline=True, required=False)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(str(key), multiline=False, required=False)
            check_plain_value(item)
    elif isinstance(value, list):
        for item in value:
            check_plain_value(item)


def _checked_value(value: Any) -> Any:
    check_plain_value(value)
    return value


FreeValues = Annotated[
    dict[Annotated[str, Field(max_length=100)], Any],
    Field(max_length=200),
    AfterValidator(_checked_value),
]
"""A JSON object of free values (template variables): bounded, without control characters."""

TextsByName = Annotated[
    dict[
        Annotated[PlainLine, Field(max_length=40)],
        Annotated[OptionalPlainText, Field(max_length=100_000)],
    ],
    Field(max_length=40),
]
"""Texts keyed by a short name (message variants, template sources)."""
