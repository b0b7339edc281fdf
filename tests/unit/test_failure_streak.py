"""A failing recurring task: the traceback once, a reminder every so often, one line back."""

from __future__ import annotations

import logging

import pytest

from crisis.failure_streak import FailureStreak, OncePer


def _fail(streak: FailureStreak) -> None:
    try:
        raise ConnectionError("connexion refusée")
    except ConnectionError:
        streak.failed()


def test_seventy_failures_then_success_log_four_lines(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.failure_streak")
    streak = FailureStreak(log, "lecture impossible", remind_every=30)
    with caplog.at_level(logging.WARNING, logger="test.failure_streak"):
        for _ in range(70):
            _fail(streak)
        streak.succeeded()
        streak.succeeded()  # nothing more to say
    lines = [(r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert lines == [
        ("lecture impossible", True),
        ("lecture impossible (toujours, 30 tentatives)", False),
        ("lecture impossible (toujours, 60 tentatives)", False),
        ("lecture impossible : rétabli après 70 tentatives", False),
    ]
    assert streak.count == 0


def test_a_new_streak_logs_its_traceback_again(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.failure_streak")
    streak = FailureStreak(log, "lecture impossible", level=logging.ERROR)
    with caplog.at_level(logging.WARNING, logger="test.failure_streak"):
        _fail(streak)
        streak.succeeded()
        _fail(streak)
    assert [(r.levelname, r.exc_info is not None) for r in caplog.records] == [
        ("ERROR", True),
        ("WARNING", False),
        ("ERROR", True),
    ]


def test_once_per_minute_whatever_the_number_of_requests() -> None:
    now = [100.0]
    once = OncePer(60.0, monotonic=lambda: now[0])
    seen = []
    for second in range(0, 150, 1):
        now[0] = 100.0 + second
        seen.append(once.due())
    assert [second for second, due in enumerate(seen) if due] == [0, 60, 120]
