"""French formatting filters available in every template.

Spaces are plain ASCII spaces on purpose: a no-break space is not in the GSM-7 alphabet and
would switch an SMS to UCS-2, halving its capacity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

import phonenumbers
from babel.dates import format_datetime
from babel.lists import format_list
from markupsafe import Markup, escape

from crisis.clock import PARIS

LOCALE: Final = "fr_FR"


class FilterError(ValueError):
    """A filter received a value it cannot format; the message is French."""


def _paris(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as error:
            raise FilterError(f"date illisible : « {value} »") from error
    if not isinstance(value, datetime):
        raise FilterError(f"une date était attendue, pas {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise FilterError("date sans fuseau horaire : impossible de la situer")
    return value.astimezone(PARIS)


def heure_fr(value: object) -> str:
    """« 22 h 15 », in Paris time."""
    local = _paris(value)
    return f"{local.hour} h {local.minute:02d}"


def date_fr(value: object) -> str:
    """« samedi 28 novembre 2026 à 22 h 15 », in Paris time; the first of the month is « 1er »."""
    local = _paris(value)
    weekday = format_datetime(local, "EEEE", locale=LOCALE)
    month_year = format_datetime(local, "MMMM y", locale=LOCALE)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{weekday} {day} {month_year} à {heure_fr(local)}"


def _parse_french_phone(value: object) -> phonenumbers.PhoneNumber:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise FilterError("un numéro de téléphone était attendu")
    try:
        number = phonenumbers.parse(str(value), "FR")
    except phonenumbers.NumberParseException as error:
        raise FilterError(f"numéro de téléphone illisible : « {value} »") from error
    if not phonenumbers.is_valid_number_for_region(number, "FR"):
        raise FilterError(f"numéro de téléphone français invalide : « {value} »")
    return number


def telephone_fr(value: object) -> str:
    """National format: « 01 69 91 91 91 », « 0 800 00 91 91 »."""
    number = _parse_french_phone(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def telephone_e164(value: object) -> str:
    """International format for ``tel:`` links: « +33169919191 »."""
    number = _parse_french_phone(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def communes(value: object) -> str:
    """« Évry-Courcouronnes, Corbeil-Essonnes et Ris-Orangis »."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Sequence) or not all(isinstance(item, str) for item in value):
        raise FilterError("une liste de communes était attendue")
    items: list[str] = [str(item) for item in value]
    if not items:
        raise FilterError("la liste des communes est vide")
    return format_list(items, locale=LOCALE)


def majuscule(value: object) -> str:
    """Upper-case the first letter only: « incendie » → « Incendie » (``capitalize`` would
    lower-case the rest, « Évry » included)."""
    text = str(value)
    return text[:1].upper() + text[1:]


def paragraphes(value: object) -> Markup:
    """HTML only: escape a text and turn blank-line separated blocks into ``<p>`` and line
    breaks into ``<br>``."""
    blocks = [block.strip() for block in str(value).replace("\r\n", "\n").split("\n\n")]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(
            Markup("<br>\n").join(escape(line) for line in block.split("\n"))
        )
        for block in blocks
        if block
    )


FILTERS: Final[dict[str, Callable[[object], str]]] = {
    "majuscule": majuscule,
    "paragraphes": paragraphes,
    "date_fr": date_fr,
    "heure_fr": heure_fr,
    "telephone_fr": telephone_fr,
    "telephone_e164": telephone_e164,
    "communes": communes,
}
