"""Rules written before 0013 give, rewritten, the days APScheduler gave them: for a table of
day-of-week and day-of-month spellings, the occurrences of the rewritten rule (through
recurrence.py) equal APScheduler's own reading of the old one over a year of Paris time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from crisis.clock import PARIS
from crisis.services.recurrence import Recurrence, RuleKind
from crisis.store.legacy_cron import from_apscheduler, to_apscheduler

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2027, 9, 1, tzinfo=UTC)
OLD_WEEKDAYS = ["*", "0", "6", "0-4", "4-6", "1-5/2", "*/2", "5/1", "mon-fri", "sat,sun", "0,6"]
OLD_DAYS = ["*", "1-7", "last", "1,last", "*/10", "5-5"]


def _as_apscheduler_read_it(rule: str) -> list[datetime]:
    """APScheduler on Paris time, the second instance of a doubled wall time left out (the rule
    recurrence.py documents and keeps)."""
    trigger = CronTrigger.from_crontab(rule, timezone=PARIS)
    occurrences: list[datetime] = []
    previous, now = None, START
    while (found := trigger.get_next_fire_time(previous, now)) is not None and found <= END:
        wall = found.replace(tzinfo=None)
        if not occurrences or occurrences[-1].astimezone(PARIS).replace(tzinfo=None) != wall:
            occurrences.append(found.astimezone(UTC))
        previous, now = found, found.astimezone(UTC) + timedelta(seconds=1)
    return occurrences


@pytest.mark.parametrize(("days", "weekdays"), list(itertools.product(OLD_DAYS, OLD_WEEKDAYS)))
def test_a_rewritten_rule_gives_the_old_days(days: str, weekdays: str) -> None:
    old = f"30 2 {days} * {weekdays}"
    kind, rule = from_apscheduler(old)
    recurrence = Recurrence(RuleKind(kind), rule, START)
    computed = list(recurrence.between(START - timedelta(microseconds=1), END))
    assert computed == _as_apscheduler_read_it(old), (kind, rule)
    if kind == "cron":  # and back, for a downgrade
        back = to_apscheduler(rule)
        assert back is not None
        assert _as_apscheduler_read_it(back) == computed


@pytest.mark.parametrize(
    ("old", "kind", "rule"),
    [
        ("30 2 * * 0", "cron", "30 2 * * 1"),
        ("0 10 * * 6", "cron", "0 10 * * 0"),
        ("0 10 * * 4-6", "cron", "0 10 * * 5-7"),
        ("0 10 * * */2", "cron", "0 10 * * 0,1,3,5"),
        ("0 10 * * MON-fri", "cron", "0 10 * * mon-fri"),
        ("*/30 10 1-31 * 0", "cron", "*/30 10 * * 1"),
        (
            "0 10 1-7 * tue",
            "rrule",
            "FREQ=DAILY;BYMONTHDAY=1,2,3,4,5,6,7;BYDAY=TU;BYHOUR=10;BYMINUTE=0",
        ),
        ("0 10 last * *", "rrule", "FREQ=DAILY;BYMONTHDAY=-1;BYHOUR=10;BYMINUTE=0"),
        ("0 10 * jan,jul 0", "cron", "0 10 * jan,jul 1"),
    ],
)
def test_the_rewritten_spelling(old: str, kind: str, rule: str) -> None:
    assert from_apscheduler(old) == (kind, rule)
