"""Recurrence rules of the exercise programme, in Europe/Paris wall time.

A rule is an RFC 5545 RRULE (python-dateutil) or a standard five-field cron expression
(`cron_standard`: 0 or 7 = Sunday, names in English or French, a day matching either day field
when both are restricted), evaluated by APScheduler's CronTrigger. Both are evaluated on Paris
wall time, so a drill « every first Tuesday at 10:00 » stays at 10:00 in Paris across the DST
changes (08:00 UTC in summer, 09:00 UTC in winter).

A wall time that does not exist (02:30 on the night of the spring change) is taken with the
offset in force before the change (`fold=0`), i.e. one hour later in wall time; a wall time that
happens twice (02:30 on the autumn night) is its first instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import islice

from apscheduler.triggers.cron import CronTrigger
from dateutil.rrule import rrule, rrulestr

from crisis.clock import PARIS, ensure_utc
from crisis.cron_standard import parse_cron
from crisis.domain.errors import InvalidInput

# A drill programme, not a heartbeat: two drills of one entry are at least this far apart.
MIN_GAP = timedelta(days=1)
# How far ahead to look for the next occurrence before calling a rule empty.
HORIZON = timedelta(days=366 * 5)


class RuleKind(StrEnum):
    RRULE = "rrule"
    CRON = "cron"


@dataclass(frozen=True, slots=True)
class Recurrence:
    kind: RuleKind
    text: str
    start: datetime  # UTC; occurrences are at or after it

    def after(self, instant: datetime, *, inclusive: bool = False) -> Iterator[datetime]:
        """Occurrences (UTC) after `instant`, in order."""
        instant = max(ensure_utc(instant), self.start - timedelta(microseconds=1))
        if self.kind is RuleKind.RRULE:
            yield from _rrule_after(self, instant, inclusive=inclusive)
        else:
            yield from _cron_after(self, instant, inclusive=inclusive)

    def next(self, instant: datetime, count: int) -> list[datetime]:
        return list(islice(self.after(instant), count))

    def between(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Occurrences in (after, until]."""
        for occurrence in self.after(after):
            if occurrence > until:
                return
            yield occurrence


def _paris(naive: datetime) -> datetime:
    return naive.replace(tzinfo=PARIS).astimezone(UTC)


def _wall(instant: datetime) -> datetime:
    return ensure_utc(instant).astimezone(PARIS).replace(tzinfo=None)


def _build_rrule(text: str, start: datetime) -> rrule:
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if not body or "\n" in body or ":" in body:
        raise InvalidInput(
            "rrule",
            "Règle RRULE invalide : une seule règle est attendue, "
            "ex. FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0.",
        )
    if "FREQ=" not in body.upper():
        raise InvalidInput("rrule", "Règle RRULE invalide : la fréquence FREQ est obligatoire.")
    parts = {p.split("=", 1)[0].strip().upper() for p in body.split(";")}
    if {"COUNT", "UNTIL"} <= parts:
        raise InvalidInput(
            "rrule", "Règle RRULE invalide : COUNT et UNTIL ne peuvent pas figurer ensemble."
        )
    if "DTSTART" in body.upper():
        raise InvalidInput("rrule", "Règle RRULE invalide : indiquez le début avec --start.")
    try:
        rule = rrulestr(body, dtstart=_wall(start).replace(second=0, microsecond=0))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise InvalidInput(
            "rrule", f"Règle RRULE invalide ({error}) : ex. FREQ=WEEKLY;BYDAY=TU;BYHOUR=10."
        ) from None
    assert isinstance(rule, rrule)
    return rule


def _rrule_after(rec: Recurrence, instant: datetime, *, inclusive: bool) -> Iterator[datetime]:
    rule = _build_rrule(rec.text, rec.start)
    # Wall times are compared an hour early so that an occurrence around a DST change is
    # never skipped; the UTC comparison below is the exact one.
    cursor = _wall(instant) - timedelta(hours=2)
    while True:
        found = rule.after(cursor, inc=False)
        if found is None:
            return
        cursor = found
        occurrence = _paris(found)
        after = occurrence > instant or (inclusive and occurrence == instant)
        if after and occurrence >= rec.start:
            yield occurrence


def _next_wall(triggers: list[CronTrigger], after: datetime) -> datetime | None:
    """The first wall time strictly after `after` (a whole minute) that a trigger fires at.

    The triggers run on UTC and are handed wall times as if they were UTC: the wall time is
    what the rule describes, and `_paris` then applies this module's rule for the wall times
    that do not exist or happen twice, exactly as for an RRULE."""
    now = after.replace(tzinfo=UTC) + timedelta(seconds=1)
    found = [t.get_next_fire_time(None, now) for t in triggers]
    fire_times = [f.replace(tzinfo=None) for f in found if f is not None]
    return min(fire_times, default=None)


def _cron_after(rec: Recurrence, instant: datetime, *, inclusive: bool) -> Iterator[datetime]:
    triggers = parse_cron(rec.text).triggers(UTC)
    # As for an RRULE: wall times are looked at from two hours early, the UTC test is exact.
    cursor = _wall(instant).replace(second=0, microsecond=0) - timedelta(hours=2)
    while True:
        found = _next_wall(triggers, cursor)
        if found is None:
            return
        cursor = found
        occurrence = _paris(found)
        after = occurrence > instant or (inclusive and occurrence == instant)
        if after and occurrence >= rec.start:
            yield occurrence


def parse_recurrence(
    *, rrule_text: str | None, cron_text: str | None, start: datetime
) -> Recurrence:
    """Check a rule and return it; an InvalidInput names the field and the reason in French."""
    if (rrule_text is None) == (cron_text is None):
        raise InvalidInput("rule", "Indiquez soit une règle RRULE, soit une expression cron.")
    start = ensure_utc(start).replace(second=0, microsecond=0)
    if rrule_text is not None:
        rec = Recurrence(RuleKind.RRULE, rrule_text.strip(), start)
        field = "rrule"
    else:
        assert cron_text is not None
        rec = Recurrence(RuleKind.CRON, parse_cron(cron_text).text, start)
        field = "cron"
    first = rec.next(start - timedelta(microseconds=1), 2)
    if not first or first[0] > start + HORIZON:
        raise InvalidInput(field, "Cette règle ne donne aucun exercice à venir.")
    if len(first) == 2 and first[1] - first[0] < MIN_GAP:
        raise InvalidInput(
            field,
            "Cette règle programme des exercices à moins de 24 heures d'intervalle : "
            "un exercice revient au plus une fois par jour.",
        )
    return rec
