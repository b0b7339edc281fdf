"""Cron rules written before migration 0013, when APScheduler read them, turned into rules that
give the same days today.

Before 0013 a programme entry's cron rule was read by APScheduler's CronTrigger: the day of the
week counted 0 = Monday … 6 = Sunday, and the day of the month and the day of the week had both
to match. Standard cron counts 0 or 7 = Sunday, and fires on a day matching either. So:
- a rule restricting at most one of the two day fields stays cron, its day of the week renumbered
  (names keep their meaning; numbers, ranges and steps become the same days in cron's numbering);
- a rule restricting both, or naming the last day of the month (`last`), becomes the RRULE of
  the same days (RRULE's BYMONTHDAY and BYDAY must both match, as APScheduler's fields did).

The migration uses this, and so does the reading of the journal, whose entries recorded before
0013 hold the rule as it was typed then. It reads old rules with APScheduler itself, so that the
old meaning is APScheduler's, not a reading of it; what it reads must not change after 0013.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.cron.expressions import LastDayOfMonthExpression

from crisis.cron_standard import parse_cron
from crisis.domain.errors import InvalidInput

CRON = "cron"
RRULE = "rrule"
_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # APScheduler's order
# The values each field can take.
_FIELD_VALUES = {
    "minute": range(60),
    "hour": range(24),
    "day": range(1, 32),
    "month": range(1, 13),
    "day_of_week": range(7),
}


def _probe(name: str, value: int) -> datetime:
    """A date on which field `name` takes `value`."""
    if name == "minute":
        return datetime(2024, 1, 1, 0, value, tzinfo=UTC)
    if name == "hour":
        return datetime(2024, 1, 1, value, tzinfo=UTC)
    if name == "month":
        return datetime(2024, value, 1, tzinfo=UTC)
    if name == "day":
        return datetime(2024, 1, value, tzinfo=UTC)
    return datetime(2024, 1, 1 + value, tzinfo=UTC)  # day_of_week: 1 January 2024 is a Monday


def _values(trigger: CronTrigger, name: str) -> tuple[frozenset[int], bool]:
    """The values APScheduler lets through in one field, and whether `last` is among them."""
    field = next(f for f in trigger.fields if f.name == name)
    last = any(isinstance(e, LastDayOfMonthExpression) for e in field.expressions)
    plain = [e for e in field.expressions if not isinstance(e, LastDayOfMonthExpression)]
    values = {
        v
        for v in _FIELD_VALUES[name]
        if any(e.get_next_value(_probe(name, v), field) == v for e in plain)
    }
    return frozenset(values), last


def _runs(values: list[int]) -> list[str]:
    """`1,2,3,5` as `1-3,5`: runs of three values or more as ranges."""
    spelled: list[str] = []
    index = 0
    while index < len(values):
        end = index
        while end + 1 < len(values) and values[end + 1] == values[end] + 1:
            end += 1
        if end - index >= 2:
            spelled.append(f"{values[index]}-{values[end]}")
        else:
            spelled.extend(str(v) for v in values[index : end + 1])
        index = end + 1
    return spelled


def _weekdays_list(values: frozenset[int]) -> str:
    sundays_first = sorted((v + 1) % 7 for v in values)  # 0 = Sunday
    sundays_last = sorted(v + 1 for v in values)  # 7 = Sunday, so that `5-7` reads well
    first, last = _runs(sundays_first), _runs(sundays_last)
    return ",".join(last if len(last) < len(first) else first)


def _spelled(text: str, values: frozenset[int], every: int, *, as_written: bool) -> str:
    if len(values) == every:
        return "*"
    if as_written:
        return text.lower()
    return ",".join(_runs(sorted(values)))


def _weekdays_spelled(text: str, values: frozenset[int], *, as_written: bool) -> str:
    if len(values) == 7:
        return "*"
    names_only = all(part.isalpha() for part in text.replace("-", ",").split(","))
    if as_written and names_only:
        return text.lower()  # names meant the same days in both readings
    return _weekdays_list(values)


def _same_days(candidate: str, sets: dict[str, frozenset[int]]) -> bool:
    try:
        rule = parse_cron(candidate)
    except InvalidInput:
        return False
    return (
        rule.minutes == sets["minute"]
        and rule.hours == sets["hour"]
        and rule.days == sets["day"]
        and rule.months == sets["month"]
        and frozenset((d + 6) % 7 for d in rule.weekdays) == sets["day_of_week"]
    )


def _rrule(sets: dict[str, frozenset[int]], last_day: bool, *, weekdays: bool) -> str:
    parts = ["FREQ=DAILY"]
    if len(sets["month"]) < 12:
        parts.append("BYMONTH=" + ",".join(str(v) for v in sorted(sets["month"])))
    month_days = [str(v) for v in sorted(sets["day"])] + (["-1"] if last_day else [])
    if len(sets["day"]) < 31 or last_day:
        parts.append("BYMONTHDAY=" + ",".join(month_days))
    if weekdays:
        parts.append("BYDAY=" + ",".join(_RRULE_DAYS[v] for v in sorted(sets["day_of_week"])))
    parts.append("BYHOUR=" + ",".join(str(v) for v in sorted(sets["hour"])))
    parts.append("BYMINUTE=" + ",".join(str(v) for v in sorted(sets["minute"])))
    return ";".join(parts)


def from_apscheduler(text: str) -> tuple[str, str]:
    """The kind (`cron` or `rrule`) and text of the rule giving the days `text` gave."""
    written = text.split()
    try:
        trigger = CronTrigger.from_crontab(" ".join(written), timezone=UTC)
    except ValueError:  # never stored: APScheduler checked every rule before it was kept
        raise InvalidInput("cron", f"Règle cron illisible : « {text} ».") from None
    sets: dict[str, frozenset[int]] = {}
    last_day = False
    for name in _FIELD_VALUES:
        sets[name], last = _values(trigger, name)
        last_day = last_day or last
    days_restricted = len(sets["day"]) < 31 or last_day
    weekdays_restricted = len(sets["day_of_week"]) < 7
    if last_day or (days_restricted and weekdays_restricted):
        return RRULE, _rrule(sets, last_day, weekdays=weekdays_restricted)
    minute, hour, day, month, weekday = written
    # The rule as it was written where that reads the same in standard cron (`*/15`, `mon-fri`),
    # else explicit values.
    for as_written in (True, False):
        candidate = " ".join(
            [
                _spelled(minute, sets["minute"], 60, as_written=as_written),
                _spelled(hour, sets["hour"], 24, as_written=as_written),
                _spelled(day, sets["day"], 31, as_written=as_written),
                _spelled(month, sets["month"], 12, as_written=as_written),
                _weekdays_spelled(weekday, sets["day_of_week"], as_written=as_written),
            ]
        )
        if _same_days(candidate, sets):
            return CRON, parse_cron(candidate).text
    raise AssertionError(f"no standard form found for {text!r}")


def to_apscheduler(text: str) -> str | None:
    """A standard cron rule in APScheduler's reading, or None when it has none (a day
    matching either of the two day fields)."""
    rule = parse_cron(text)
    if rule.days_restricted and rule.weekdays_restricted:
        return None

    def spelled(values: frozenset[int], every: int) -> str:
        return "*" if len(values) == every else ",".join(str(v) for v in sorted(values))

    weekdays = frozenset((d + 6) % 7 for d in rule.weekdays)
    return " ".join(
        [
            spelled(rule.minutes, 60),
            spelled(rule.hours, 24),
            spelled(rule.days, 31) if rule.days_restricted else "*",
            spelled(rule.months, 12),
            spelled(weekdays, 7) if rule.weekdays_restricted else "*",
        ]
    )
