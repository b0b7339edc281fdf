"""The programme's cron rules give the days standard cron gives: checked against croniter, an
implementation this project did not write, over two years of Paris wall time that hold both
daylight-saving changes of 2026-2027 and of 2027-2028.

croniter is given naive wall times, so it answers in wall time and knows nothing of the changes.
Its wall times are then placed on the UTC line by the rule `recurrence.py` documents, written
out here on its own: a wall time that does not exist (spring night) takes the offset in force
before the change, a wall time that happens twice (autumn night) is its first instance. The
table holds rules that meet both kinds of night, and the test checks that they were met, so the
comparison says plainly which occurrences owe their instant to that rule rather than to cron.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from crisis.services.recurrence import parse_recurrence

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2028, 9, 1, tzinfo=UTC)

# (as written by someone, in the standard form stored and handed to croniter)
TABLE = [
    ("30 2 * * 0", "30 2 * * 0"),  # Sundays at 02:30: all four nights of change are Sundays
    ("30 2 * * *", "30 2 * * *"),
    ("0 2 * * dim", "0 2 * * sun"),
    ("0 3 * * 7", "0 3 * * 7"),
    ("59 1 * * *", "59 1 * * *"),
    ("0 10 * * 1", "0 10 * * 1"),
    ("0 10 * * 7", "0 10 * * 7"),
    ("0 10 * * Dimanche", "0 10 * * sun"),
    ("0 10 * * LUNDI,mercredi", "0 10 * * mon,wed"),
    ("0 10 * * 1-5", "0 10 * * 1-5"),
    ("0 10 * * lun-ven", "0 10 * * mon-fri"),
    ("0 10 * * ven-lun", "0 10 * * fri-mon"),
    ("0 10 * * 5-7", "0 10 * * 5-7"),
    ("0 10 * * 6,7", "0 10 * * 6,7"),
    ("0 10 * * 7-2", "0 10 * * 7-2"),
    ("0 10 * * */2", "0 10 * * */2"),
    ("0 10 * * 1-7/2", "0 10 * * 1-7/2"),
    ("0 10 * * 0-7/3", "0 10 * * 0-7/3"),
    ("0 10 * * mar/2", "0 10 * * tue/2"),
    ("0  10 *  * Sun", "0 10 * * sun"),
    ("15 9 1,15 * *", "15 9 1,15 * *"),
    ("0 10 */10 * *", "0 10 */10 * *"),
    ("0 10 5/10 * *", "0 10 5/10 * *"),
    ("0 10 31 * *", "0 10 31 * *"),
    ("0 10 29 2 *", "0 10 29 2 *"),
    ("0 10 1 janv,JUIL *", "0 10 1 jan,jul *"),
    ("0 10 1 nov-févr *", "0 10 1 nov-feb *"),
    ("0 10 1 */3 *", "0 10 1 */3 *"),
    ("0 12 * mars,octobre dim", "0 12 * mar,oct sun"),
    # Both day fields restricted: a day matching either fires.
    ("0 10 1-7 * mar", "0 10 1-7 * tue"),
    ("0 10 13 * ven", "0 10 13 * fri"),
    ("0 10 */2 * lun", "0 10 */2 * mon"),
    ("30 2 25-31 3,10 0", "30 2 25-31 3,10 0"),
    ("0 10 30 2 lun", "0 10 30 2 mon"),
    ("@monthly", "0 0 1 * *"),
]


def _offset_at(naive_utc: datetime) -> timedelta:
    offset = naive_utc.replace(tzinfo=UTC).astimezone(PARIS).utcoffset()
    assert offset is not None
    return offset


def _instants_showing(wall: datetime) -> list[datetime]:
    """The UTC instants (naive) at which Paris clocks show `wall`: Paris is at +1 or +2 h."""
    candidates = (wall - timedelta(hours=2), wall - timedelta(hours=1))
    return [c for c in candidates if c + _offset_at(c) == wall]


def _kind(wall: datetime) -> str:
    return {0: "nonexistent", 1: "regular", 2: "ambiguous"}[len(_instants_showing(wall))]


def _documented_instant(wall: datetime) -> datetime:
    """recurrence.py's rule for Paris wall times, written out here without it."""
    instants = _instants_showing(wall)
    if instants:  # shown once, or twice: the first
        return instants[0].replace(tzinfo=UTC)
    # Never shown (the clocks jumped over it): the offset in force before the jump.
    return (wall - _offset_at(wall - timedelta(hours=4))).replace(tzinfo=UTC)


def _croniter_walls(standard: str) -> list[datetime]:
    first_wall = START.astimezone(PARIS).replace(tzinfo=None)
    last_wall = END.astimezone(PARIS).replace(tzinfo=None)
    walls: list[datetime] = []
    iterator = croniter(standard, first_wall - timedelta(minutes=1))
    while (wall := iterator.get_next(datetime)) <= last_wall:
        walls.append(wall)
    return walls


def _expected(standard: str) -> list[datetime]:
    instants = [_documented_instant(w) for w in _croniter_walls(standard)]
    return [i for i in instants if START <= i <= END]


@pytest.mark.parametrize(("written", "standard"), TABLE)
def test_occurrences_equal_croniter_on_paris_wall_time(written: str, standard: str) -> None:
    rule = parse_recurrence(rrule_text=None, cron_text=written, start=START)
    assert rule.text == standard
    computed = list(rule.between(START - timedelta(microseconds=1), END))
    assert computed == _expected(standard)


def test_the_table_meets_both_kinds_of_change_night() -> None:
    kinds = {_kind(w) for written, standard in TABLE for w in _croniter_walls(standard)}
    assert kinds == {"regular", "nonexistent", "ambiguous"}


def test_the_documented_rule_on_the_nights_of_change() -> None:
    """02:30 on 28 March 2027 does not exist: 01:30 UTC (03:30 summer time). 02:30 on
    25 October 2026 happens twice: its first instance, 00:30 UTC, once."""
    rule = parse_recurrence(rrule_text=None, cron_text="30 2 * * dim", start=START)
    assert rule.next(datetime(2026, 10, 24, tzinfo=UTC), 2) == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 1, 30, tzinfo=UTC),
    ]
    assert rule.next(datetime(2027, 3, 27, tzinfo=UTC), 2) == [
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
        datetime(2027, 4, 4, 0, 30, tzinfo=UTC),
    ]
