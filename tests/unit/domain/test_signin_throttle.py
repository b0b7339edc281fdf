"""The growing delays between failed sign-ins (crisis.domain.signin_throttle)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisis.domain.signin_throttle import (
    FailureCount,
    Policy,
    Scope,
    account_key,
    next_attempt_at,
    wait_message,
)

NOW = datetime(2026, 12, 6, 19, 20, tzinfo=UTC)
ACCOUNT = Policy(free_failures=5, ceiling_seconds=60)


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (11, 60), (50, 60), (10_000, 60)],
)
def test_the_delay_doubles_after_the_free_failures_up_to_the_ceiling(
    failures: int, seconds: int
) -> None:
    assert ACCOUNT.delay(failures) == timedelta(seconds=seconds)


def _count(failures: int, seconds_ago: float) -> FailureCount:
    return FailureCount(
        scope=Scope.ACCOUNT,
        key="prefete",
        failures=failures,
        last_failure_at=NOW - timedelta(seconds=seconds_ago),
        refused_early=0,
    )


def test_the_next_attempt_waits_for_the_delay_after_the_last_failure() -> None:
    assert next_attempt_at(_count(4, 0), ACCOUNT, NOW) is None
    assert next_attempt_at(_count(7, 1), ACCOUNT, NOW) == NOW + timedelta(seconds=3)
    assert next_attempt_at(_count(7, 4), ACCOUNT, NOW) is None  # the 4 s have run out


def test_failures_older_than_an_hour_are_forgotten() -> None:
    old = _count(50, 3600)
    assert old.current(NOW) == 0
    assert next_attempt_at(old, ACCOUNT, NOW) is None
    assert _count(50, 3599).current(NOW) == 50


def test_names_are_counted_folded() -> None:
    assert account_key("  Préfète Durand ") == account_key("préfète durand")


def test_the_message_says_how_long_and_that_nothing_is_blocked() -> None:
    assert wait_message(NOW + timedelta(seconds=0.2), NOW).startswith(
        "Trop de tentatives de connexion infructueuses : patientez 1 seconde avant"
    )
    assert "patientez 45 secondes" in wait_message(NOW + timedelta(seconds=45), NOW)
    assert "patientez 15 minutes" in wait_message(NOW + timedelta(minutes=15), NOW)
    assert wait_message(NOW + timedelta(seconds=3), NOW).endswith("Votre compte n'est pas bloqué.")
