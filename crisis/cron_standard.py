"""Cron as people write it, checked and translated for APScheduler.

The five fields of standard cron (Vixie cron, croniter): minute, hour, day of the month, month,
day of the week, where the day of the week counts 0 or 7 = Sunday, 1 = Monday … 6 = Saturday.
Names are accepted, whatever their case, also in ranges and lists: English (`mon` … `sun`,
`jan` … `dec`) and French (`lun`/`lundi` … `dim`/`dimanche`, `janv`/`janvier` … `déc`/`décembre`).
Each field takes `*`, a value, a range `a-b` (from `a` round to `b` when `a` is the larger:
`ven-lun`), a list `a,b`, and steps `*/n`, `a-b/n`, `a/n` (from `a` to the field's end).
When both day fields are restricted (neither is `*`), a day matching either fires, as croniter
and Vixie cron do (Vixie cron alone makes an exception of a day field starting with `*`, such as
`*/2`: croniter does not, nor does this module). `@yearly`, `@monthly`, `@weekly`, `@daily` stand
for their five fields.

What is stored and shown is the standard form: fields separated by one space, names in
English. APScheduler numbers the days of the week from Monday and has no « either day » rule:
`CronRule.triggers` gives it explicit values, one trigger per side of an « either ».

A few spellings that cron implementations read differently are refused with the reason: a range
of one value (`1-1`), a stepped range that wraps round, and a day field spelled to cover every
value while the other day field is restricted.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass
from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

from crisis.domain.errors import InvalidInput
from crisis.french import counted

FIELD = "cron"
EXAMPLE = "ex. « 0 10 * * lun » (chaque lundi à 10 h)"

WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FRENCH_WEEKDAYS = (
    ("dim", "dimanche"),
    ("lun", "lundi"),
    ("mar", "mardi"),
    ("mer", "mercredi"),
    ("jeu", "jeudi"),
    ("ven", "vendredi"),
    ("sam", "samedi"),
)
_FRENCH_MONTHS = (
    ("janv", "janvier"),
    ("fevr", "fevrier"),
    ("mars",),
    ("avr", "avril"),
    ("mai",),
    ("juin",),
    ("juil", "juillet"),
    ("aout",),
    ("sept", "septembre"),
    ("oct", "octobre"),
    ("nov", "novembre"),
    ("dec", "decembre"),
)

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
}


@dataclass(frozen=True, slots=True)
class _Field:
    label: str  # as the refusal names it
    low: int
    high: int  # the largest value written (7 for the day of the week)
    step_high: int  # where `a/n` stops (6 for the day of the week, as croniter)
    names: dict[str, int]
    canonical_names: tuple[str, ...]  # by value - names_base
    names_base: int

    @property
    def bounds(self) -> str:
        return f"{self.low} à {self.high}"


def _names(
    english: tuple[str, ...], french: tuple[tuple[str, ...], ...], base: int
) -> dict[str, int]:
    table = {name: base + index for index, name in enumerate(english)}
    for index, spellings in enumerate(french):
        table.update(dict.fromkeys(spellings, base + index))
    return table


MINUTE = _Field("minute", 0, 59, 59, {}, (), 0)
HOUR = _Field("heure", 0, 23, 23, {}, (), 0)
DAY = _Field("jour du mois", 1, 31, 31, {}, (), 0)
MONTH = _Field("mois", 1, 12, 12, _names(MONTH_NAMES, _FRENCH_MONTHS, 1), MONTH_NAMES, 1)
WEEKDAY = _Field(
    "jour de la semaine", 0, 7, 6, _names(WEEKDAY_NAMES, _FRENCH_WEEKDAYS, 0), WEEKDAY_NAMES, 0
)
FIELDS = (MINUTE, HOUR, DAY, MONTH, WEEKDAY)
# Quartz's and croniter's extensions (`L`, `15W`, `1#2`, `?`), which standard cron does not have.
_EXTENSION = re.compile(r"\d*[lw]{1,2}\d*|.*[#?].*", re.IGNORECASE)
_EVERY_DAY = frozenset(range(1, 32))
_EVERY_WEEKDAY = frozenset(range(7))


def _refuse(field: _Field, written: str, reason: str) -> InvalidInput:
    return InvalidInput(
        FIELD, f"Expression cron invalide, champ {field.label} « {written} » : {reason}."
    )


def _plain(text: str) -> str:
    """Lower case without accents: `Févr` and `fevr` are one name."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class _Value:
    number: int
    canonical: str


def _value(field: _Field, written: str, item: str) -> _Value:
    if written.isascii() and written.isdigit():
        number = int(written)
        if not field.low <= number <= field.high:
            bounds = field.bounds + (", 0 et 7 = dimanche" if field is WEEKDAY else "")
            raise _refuse(field, item, f"{number} est hors limites ({bounds})")
        return _Value(number, str(number))
    number_of_name = field.names.get(_plain(written))
    if number_of_name is None and _EXTENSION.fullmatch(written):
        raise _refuse(
            field,
            item,
            "L, W, # et ? ne sont pas du cron standard ; pour « le premier mardi du mois » ou "
            "« le dernier jour du mois », utilisez une règle RRULE",
        )
    if number_of_name is None:
        if field.names:
            reason = f"« {written} » n'est ni un nombre ni un nom de {field.label} connu"
        else:
            reason = f"« {written} » n'est pas un nombre ({field.bounds})"
        raise _refuse(field, item, reason)
    return _Value(number_of_name, field.canonical_names[number_of_name - field.names_base])


def _step(field: _Field, written: str, item: str) -> int:
    if not (written.isascii() and written.isdigit()) or int(written) == 0:
        raise _refuse(field, item, f"le pas « {written} » doit être un entier positif")
    return int(written)


def _item(field: _Field, item: str) -> tuple[set[int], str]:
    """The values of one item of a list, and its standard spelling."""
    body, slash, step_text = item.partition("/")
    step = _step(field, step_text, item) if slash else 1
    suffix = f"/{step}" if slash else ""
    if body == "*":
        return set(range(field.low, field.step_high + 1, step)), f"*{suffix}"
    first_text, dash, last_text = body.partition("-")
    if not first_text or (dash and not last_text):
        raise _refuse(field, item, "un intervalle s'écrit « début-fin », sans nombre négatif")
    first = _value(field, first_text, item)
    if not dash:
        if not slash:
            return {first.number}, first.canonical
        start = 0 if field is WEEKDAY and first.number == 7 else first.number
        return set(range(start, field.step_high + 1, step)), f"{first.canonical}{suffix}"
    last = _value(field, last_text, item)
    same_day = field is WEEKDAY and first.number % 7 == last.number % 7
    if first.number == last.number or (same_day and first.number > last.number):
        raise _refuse(
            field, item, f"un intervalle va d'une valeur à une autre ; écrivez « {first_text} »"
        )
    spelled = f"{first.canonical}-{last.canonical}{suffix}"
    if first.number < last.number:
        return set(range(first.number, last.number + 1, step)), spelled
    if slash:
        raise _refuse(field, item, "un intervalle qui fait le tour ne prend pas de pas")
    around = set(range(first.number, field.high + 1)) | set(range(field.low, last.number + 1))
    return around, spelled


def _field(field: _Field, text: str) -> tuple[frozenset[int], str]:
    values: set[int] = set()
    spelled: list[str] = []
    for item in text.split(","):
        if not item:
            raise _refuse(field, text, "une valeur manque dans la liste")
        item_values, item_spelled = _item(field, item)
        values |= item_values
        spelled.append(item_spelled)
    if field is WEEKDAY:
        values = {v % 7 for v in values}
    return frozenset(values), ",".join(spelled)


def _field_list(values: frozenset[int], every: frozenset[int]) -> str:
    return "*" if values >= every else ",".join(str(v) for v in sorted(values))


@dataclass(frozen=True, slots=True)
class CronRule:
    text: str  # the standard form
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    def _trigger(self, *, days: str, weekdays: str, timezone: tzinfo) -> CronTrigger | None:
        if days != "*" and not any(
            day <= monthrange(2024, month)[1] for day in self.days for month in self.months
        ):
            return None  # the 30th of February: no date ever
        return CronTrigger(
            minute=_field_list(self.minutes, frozenset(range(60))),
            hour=_field_list(self.hours, frozenset(range(24))),
            day=days,
            month=_field_list(self.months, frozenset(range(1, 13))),
            day_of_week=weekdays,
            timezone=timezone,
        )

    def triggers(self, timezone: tzinfo) -> list[CronTrigger]:
        """APScheduler's triggers whose fire times, together, are this rule's."""
        days = _field_list(self.days, _EVERY_DAY) if self.days_restricted else "*"
        # APScheduler counts the days of the week from Monday = 0.
        weekdays = ",".join(str((d + 6) % 7) for d in sorted(self.weekdays))
        if not self.weekdays_restricted:
            weekdays = "*"
        if days != "*" and weekdays != "*":  # either day fires: one trigger for each
            sides = [
                self._trigger(days=days, weekdays="*", timezone=timezone),
                self._trigger(days="*", weekdays=weekdays, timezone=timezone),
            ]
        else:
            sides = [self._trigger(days=days, weekdays=weekdays, timezone=timezone)]
        return [t for t in sides if t is not None]


def parse_cron(text: str) -> CronRule:
    """Check a standard cron expression; an InvalidInput names the field and the reason."""
    expression = ALIASES.get(text.strip().casefold(), text)
    written = expression.split()
    if len(written) != len(FIELDS):
        raise InvalidInput(
            FIELD,
            f"Expression cron invalide : 5 champs attendus (minute heure jour mois jour de la "
            f"semaine), {counted(len(written), 'reçu')} ; {EXAMPLE}.",
        )
    parsed = [_field(field, part) for field, part in zip(FIELDS, written, strict=True)]
    (minutes, _), (hours, _), (days, _), (months, _), (weekdays, _) = parsed
    days_restricted, weekdays_restricted = written[2] != "*", written[4] != "*"
    if days_restricted and weekdays_restricted:
        for field, values, every, part in (
            (DAY, days, _EVERY_DAY, written[2]),
            (WEEKDAY, weekdays, _EVERY_WEEKDAY, written[4]),
        ):
            if values >= every:
                raise _refuse(
                    field,
                    part,
                    "il couvre toutes les valeurs alors que l'autre champ de jour est restreint "
                    "(les implémentations de cron ne s'accordent pas sur ce cas) ; écrivez « * »",
                )
    return CronRule(
        text=" ".join(spelled for _, spelled in parsed),
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=weekdays,
        days_restricted=days_restricted,
        weekdays_restricted=weekdays_restricted,
    )
