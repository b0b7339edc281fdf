"""The indicators' calendar and statistics rules, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crisis.domain.errors import InvalidInput
from crisis.reporting.indicators import clock_stats, make_period
from crisis.reporting.indicators_model import (
    ChainStatus,
    ClockFigure,
    EventRow,
    quarter_of,
)


def test_a_period_runs_from_paris_midnight_to_paris_midnight_across_dst() -> None:
    period = make_period(date(2026, 3, 1), date(2026, 10, 31))
    assert period.starts_at == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # winter time
    assert period.ends_at == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # back in winter time
    summer = make_period(date(2026, 7, 14), date(2026, 7, 14))
    assert summer.ends_at - summer.starts_at == timedelta(hours=24)
    assert summer.starts_at == datetime(2026, 7, 13, 22, 0, tzinfo=UTC)


def test_a_backwards_or_endless_period_is_refused_on_the_au_field() -> None:
    with pytest.raises(InvalidInput) as backwards:
        make_period(date(2026, 12, 31), date(2026, 1, 1))
    assert backwards.value.field == "au"
    with pytest.raises(InvalidInput):
        make_period(date(2000, 1, 1), date(2026, 1, 1))


def test_quarters_follow_the_paris_calendar() -> None:
    assert quarter_of(datetime(2026, 3, 31, 22, 30, tzinfo=UTC)) == "T2 2026"  # 00:30 on 1 April
    assert quarter_of(datetime(2026, 12, 31, 22, 59, tzinfo=UTC)) == "T4 2026"
    assert quarter_of(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == "T1 2027"


def _row(crisis_id: str, verdict: str, delay: float | None) -> EventRow:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    figure = ClockFigure(
        clock="cell",
        label="cellule",
        commitment="47",
        target_minutes=60,
        started_at=start,
        deadline=start + timedelta(hours=1),
        met_at=start + timedelta(minutes=delay) if delay is not None else None,
        delay_minutes=delay,
        verdict=verdict,
        verdict_label=verdict,
        within_target=None if verdict == "running" else verdict == "met",
        channel=None,
        sources=[],
    )
    chain = ChainStatus(
        chain=crisis_id,
        ok=True,
        entries_checked=1,
        head_seq=1,
        head_hash="0" * 64,
        first_broken_seq=None,
        reason=None,
    )
    return EventRow(
        crisis_id=crisis_id,
        title=crisis_id,
        kind="autre",
        kind_label="Autre",
        exercise=False,
        communes=[],
        reported_at=start,
        decided_at=start,
        closed_at=None,
        counted=True,
        note=None,
        clocks={"cell": figure},
        cip=None,
        chain=chain,
        retex_recorded=False,
        sources=[],
    )


def test_statistics_by_hand() -> None:
    rows = [
        _row("a", "met", 10),
        _row("b", "met", 40),
        _row("c", "met_late", 61.5),
        _row("d", "breached", None),
        _row("e", "running", None),
        _row("f", "met", 20),
    ]
    stats = clock_stats(rows, "cell")
    # measured: a, b, c, d, f; delays 10, 20, 40, 61.5; median (20 + 40) / 2; p90 rank 4 of 4.
    assert (stats.events, stats.within_target, stats.share_within_target) == (5, 3, 0.6)
    assert (stats.median_minutes, stats.p90_minutes, stats.worst_minutes) == (30.0, 61.5, 61.5)
    assert (stats.met_late, stats.not_met, stats.running) == (1, 1, 1)
    assert stats.event_ids == ["a", "b", "c", "d", "f"]


def test_nothing_to_measure_gives_nulls_not_zeros() -> None:
    stats = clock_stats([_row("e", "running", None)], "cell")
    assert (stats.events, stats.share_within_target, stats.median_minutes) == (0, None, None)
    assert (stats.p90_minutes, stats.worst_minutes, stats.running) == (None, None, 1)
