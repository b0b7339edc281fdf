"""The timeline axis has a bounded number of ticks whatever the span."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisis.reporting.svg import MAX_TICKS, tick_step


@pytest.mark.parametrize(
    ("span", "step"),
    [
        (timedelta(hours=1), timedelta(minutes=15)),
        (timedelta(hours=3), timedelta(minutes=15)),
        (timedelta(hours=10), timedelta(hours=1)),
        (timedelta(days=30), timedelta(days=2)),
    ],
)
def test_round_steps(span: timedelta, step: timedelta) -> None:
    assert tick_step(span.total_seconds()) == step


@pytest.mark.parametrize("years", [1, 50, 2000])
def test_any_span_stays_within_the_maximum(years: int) -> None:
    span = timedelta(days=365 * years).total_seconds()
    assert span / tick_step(span).total_seconds() <= MAX_TICKS
