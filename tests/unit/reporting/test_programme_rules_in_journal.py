"""Commitment 49 reads each programme entry's rule from the journal: as kept since 0013 (with
the outcome), and, for entries recorded before, the cron rule as APScheduler read it then. The
journal cannot be rewritten, so an old « 0 10 * * 0 » still means Mondays there."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from crisis.reporting.indicators_model import Period
from crisis.reporting.indicators_programme import programme_figures
from crisis.store.journal import JournalEntry

CREATED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday
PERIOD = Period(
    from_=date(2026, 12, 1),
    to=date(2026, 12, 31),
    starts_at=datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
    ends_at=datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
)
MONDAYS_AT_TEN = [datetime(2026, 12, day, 9, 0, tzinfo=UTC) for day in (7, 14, 21, 28)]


def _entry(seq: int, kind: str, payload: dict[str, Any]) -> JournalEntry:
    return JournalEntry("system", seq, CREATED, "cadre", kind, payload, "0" * 64, f"{seq:064x}")


def _added(seq: int, schedule_id: str, cron: str, outcome: dict[str, Any]) -> JournalEntry:
    command = {"name": schedule_id, "mode": "unattended", "cron": cron, "rrule": None}
    outcome = {"schedule_id": schedule_id, **outcome}
    return _entry(seq, "command.AddDrillSchedule", {"command": command, "outcome": outcome})


def _planned(entries: list[JournalEntry]) -> dict[str, list[datetime]]:
    figures = programme_figures(entries, period=PERIOD, now=CREATED, exercises=[])
    planned: dict[str, list[datetime]] = {}
    for row in figures.occurrences:
        planned.setdefault(row.schedule_id, []).append(row.occurrence)
    return planned


def test_entries_recorded_before_0013_keep_their_days() -> None:
    planned = _planned(
        [
            _added(1, "avant-0013", "0 10 * * 0", {}),
            _added(2, "avant-0013-premier-mardi", "0 10 1-7 * tue", {}),
            _added(
                3, "depuis-0013", "0 10 * * lundi", {"rule_kind": "cron", "rule": "0 10 * * mon"}
            ),
        ]
    )
    assert planned["avant-0013"] == MONDAYS_AT_TEN
    assert planned["depuis-0013"] == MONDAYS_AT_TEN
    assert planned["avant-0013-premier-mardi"] == [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]


def test_a_kept_rule_is_read_in_standard_cron() -> None:
    planned = _planned(
        [_added(1, "dimanche", "0 10 * * 0", {"rule_kind": "cron", "rule": "0 10 * * 0"})]
    )
    assert [o.day for o in planned["dimanche"]] == [6, 13, 20, 27]
