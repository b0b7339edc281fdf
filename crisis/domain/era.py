"""The days a person may type: the service's own era, 2000 to 2099.

A day or an instant outside it is a typing mistake (« 0001-01-01 », « 9999-12-31 ») and,
left in, would reach arithmetic that overflows (a Paris midnight of year 1 has no UTC
instant). Every period and every date typed in the console, the CLI or the API is checked
here, with one French sentence.
"""

from __future__ import annotations

from datetime import date, datetime

from crisis.domain.errors import InvalidInput

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
OUT_OF_ERA = "Date hors des bornes : entre le 1er janvier 2000 et le 31 décembre 2099."


def check_day(field: str, day: date) -> date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InvalidInput(field, OUT_OF_ERA)
    return day


def check_instant(field: str, instant: datetime) -> datetime:
    """The instant's own calendar day is checked (never its UTC one, which may not exist)."""
    check_day(field, instant.date())
    return instant
