"""A calendar day as a request or a file gives it: `AAAA-MM-JJ` and nothing else.

Pydantic also takes a Unix timestamp (`1767225600`, even `0.5`) or a date with a time for a
day; the service takes neither (a number is a client's mistake, not a day to guess). The day
must then fall within the service's era (`crisis.domain.era`), checked where it is used.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any, handler: ValidatorFunctionWrapHandler) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # a YAML file's date, already read as one
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("day_type", "date invalide (AAAA-MM-JJ attendu, ex. 2026-11-28)")
    result: date = handler(value)
    return result


IsoDay = Annotated[date, WrapValidator(_iso_day), Field(json_schema_extra={"format": "date"})]
"""A day written `AAAA-MM-JJ` (a JSON string, a query parameter, a YAML date)."""
