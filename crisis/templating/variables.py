"""Declared variable types and the validation of values before any rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from crisis.clock import ensure_utc
from crisis.templating.errors import VariableError
from crisis.templating.filters import FilterError, telephone_fr

if TYPE_CHECKING:
    from crisis.templating.manifest import VariableSpec

MAX_STR_LENGTH: Final = 500
MAX_TEXT_LENGTH: Final = 20_000
MAX_COMMUNES: Final = 200


class VariableType(StrEnum):
    STR = "str"  # one line
    TEXT = "text"  # several lines allowed
    DATETIME = "datetime"  # timezone-aware instant
    COMMUNES = "communes"  # list of commune names
    PHONE = "phone"  # a valid French number
    URL = "url"  # http or https
    INT = "int"


def _text(value: object, *, multiline: bool) -> str:
    if not isinstance(value, str):
        raise ValueError("une chaîne de caractères était attendue")
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValueError("la valeur est vide")
    if not multiline and "\n" in text:
        raise ValueError("une seule ligne est attendue (type str) : utiliser le type text")
    limit = MAX_TEXT_LENGTH if multiline else MAX_STR_LENGTH
    if len(text) > limit:
        raise ValueError(f"la valeur dépasse {limit} caractères")
    return text


def _datetime(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise ValueError(
                f"date illisible « {value} » : format ISO 8601 attendu, "
                "par exemple 2026-11-28T22:15:00+01:00"
            ) from error
    if not isinstance(value, datetime):
        raise ValueError("une date et une heure étaient attendues")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "la date doit indiquer son décalage horaire, par exemple 2026-11-28T22:15:00+01:00"
        )
    return ensure_utc(value)


def _communes(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError("une liste de noms de communes était attendue")
    if not value:
        raise ValueError("la liste des communes est vide")
    if len(value) > MAX_COMMUNES:
        raise ValueError(f"plus de {MAX_COMMUNES} communes")
    names: list[str] = []
    for item in value:
        try:
            names.append(_text(item, multiline=False))
        except ValueError as error:
            raise ValueError(f"nom de commune incorrect : {error}") from error
    return tuple(names)


def _phone(value: object) -> str:
    try:
        return telephone_fr(value)
    except FilterError as error:
        raise ValueError(str(error)) from error


def _url(value: object) -> str:
    text = _text(value, multiline=False)
    if any(char.isspace() for char in text):
        raise ValueError("une adresse web ne contient pas d'espace")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("adresse web attendue, commençant par https:// ou http://")
    return text


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("un nombre entier était attendu")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError("un nombre entier était attendu")


def coerce_value(kind: VariableType, value: object) -> object:
    """Check one value against its declared type and return its normalised form.

    Phones become their national format, datetimes UTC-aware datetimes, communes a tuple.
    Raise ValueError with a French reason.
    """
    match kind:
        case VariableType.STR:
            return _text(value, multiline=False)
        case VariableType.TEXT:
            return _text(value, multiline=True)
        case VariableType.DATETIME:
            return _datetime(value)
        case VariableType.COMMUNES:
            return _communes(value)
        case VariableType.PHONE:
            return _phone(value)
        case VariableType.URL:
            return _url(value)
        case VariableType.INT:
            return _int(value)


def validate_variables(
    *, template: str, specs: Sequence[VariableSpec], values: Mapping[str, object]
) -> dict[str, object]:
    """Validate ``values`` against the declared ``specs``; fill the defaults of optional
    variables. Raise VariableError naming every missing, unknown or invalid variable."""
    declared = {spec.name: spec for spec in specs}
    unknown = sorted(name for name in values if name not in declared)
    missing: list[str] = []
    invalid: list[tuple[str, str]] = []
    result: dict[str, object] = {}
    for spec in specs:
        if spec.name not in values or values[spec.name] is None:
            if spec.required:
                missing.append(spec.name)
            else:
                result[spec.name] = spec.typed_default
            continue
        try:
            result[spec.name] = coerce_value(spec.type, values[spec.name])
        except ValueError as error:
            invalid.append((spec.name, str(error)))
    if unknown or missing or invalid:
        raise VariableError(template=template, missing=missing, unknown=unknown, invalid=invalid)
    return result
