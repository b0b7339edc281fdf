"""Programme rules in Paris wall time: across both DST changes, RRULE and cron alike, and bad
rules refused with a French sentence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crisis.domain.errors import InvalidInput
from crisis.services.recurrence import parse_recurrence

START = datetime(2026, 9, 1, tzinfo=UTC)
WEEKLY_RRULE = "FREQ=WEEKLY;BYDAY=TU;BYHOUR=10;BYMINUTE=0"
WEEKLY_CRON = "0 10 * * tue"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("rrule", "cron"), [(WEEKLY_RRULE, None), (None, WEEKLY_CRON)])
def test_autumn_change_keeps_ten_oclock_in_paris(rrule: str | None, cron: str | None) -> None:
    rule = parse_recurrence(rrule_text=rrule, cron_text=cron, start=START)
    # Sunday 25 October 2026 the clocks go back: 08:00 UTC before, 09:00 UTC after.
    assert rule.next(utc(2026, 10, 14), 3) == [
        utc(2026, 10, 20, 8, 0),
        utc(2026, 10, 27, 9, 0),
        utc(2026, 11, 3, 9, 0),
    ]


@pytest.mark.parametrize(("rrule", "cron"), [(WEEKLY_RRULE, None), (None, WEEKLY_CRON)])
def test_spring_change_keeps_ten_oclock_in_paris(rrule: str | None, cron: str | None) -> None:
    rule = parse_recurrence(rrule_text=rrule, cron_text=cron, start=START)
    # Sunday 28 March 2027 the clocks go forward: 09:00 UTC before, 08:00 UTC after.
    assert rule.next(utc(2027, 3, 20), 3) == [
        utc(2027, 3, 23, 9, 0),
        utc(2027, 3, 30, 8, 0),
        utc(2027, 4, 6, 8, 0),
    ]


def test_first_tuesday_of_the_month() -> None:
    rule = parse_recurrence(
        rrule_text="RRULE:FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0", cron_text=None, start=START
    )
    assert rule.next(utc(2026, 9, 2), 3) == [
        utc(2026, 10, 6, 8, 0),
        utc(2026, 11, 3, 9, 0),
        utc(2026, 12, 1, 9, 0),
    ]


def test_occurrences_never_precede_the_start() -> None:
    rule = parse_recurrence(
        rrule_text=WEEKLY_RRULE, cron_text=None, start=datetime(2026, 10, 20, 9, tzinfo=UTC)
    )
    assert rule.next(utc(2026, 1, 1), 1) == [utc(2026, 10, 27, 9, 0)]


@pytest.mark.parametrize(
    ("rrule", "cron", "field", "words"),
    [
        ("FREQ=SOMETIMES", None, "rrule", "Règle RRULE invalide"),
        ("BYDAY=TU", None, "rrule", "fréquence FREQ est obligatoire"),
        ("FREQ=HOURLY", None, "rrule", "moins de 24 heures"),
        ("FREQ=WEEKLY;COUNT=1;UNTIL=20200101T000000", None, "rrule", "Règle RRULE invalide"),
        ("FREQ=YEARLY;UNTIL=20200101T000000", None, "rrule", "aucun exercice à venir"),
        (None, "0 10 * *", "cron", "5 champs attendus"),
        (None, "0 25 * * *", "cron", "Expression cron invalide"),
        (None, "*/5 * * * *", "cron", "moins de 24 heures"),
        (None, None, "rule", "soit une règle RRULE, soit une expression cron"),
        (WEEKLY_RRULE, WEEKLY_CRON, "rule", "soit une règle RRULE, soit une expression cron"),
    ],
)
def test_bad_rules_are_refused_in_french(
    rrule: str | None, cron: str | None, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_recurrence(rrule_text=rrule, cron_text=cron, start=START)
    assert caught.value.field == field
    assert words in caught.value.message
