"""What counts as a fresh verification, per setting: none, passkey, password (or passkey)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crisis.services.step_up import ACTIVATE_COD, ADD_PASSKEY, APPROVE_MESSAGE, is_fresh
from crisis.settings import Settings

NOW = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("policy", "method", "minutes_ago", "fresh"),
    [
        ("none", None, None, True),
        ("password", "password", 4, True),
        ("password", "passkey", 4, True),
        ("password", "password", 6, False),
        ("password", "proconnect", 1, False),
        ("password", None, None, False),
        ("passkey", "passkey", 1, True),
        ("passkey", "password", 1, False),
        ("passkey", "passkey", 6, False),
    ],
)
def test_the_policy_of_an_action(
    tmp_path: Path, policy: str, method: str | None, minutes_ago: int | None, fresh: bool
) -> None:
    settings = Settings(data_dir=tmp_path, step_up_approve_message=policy, step_up_minutes=5)
    verified_at = None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago)
    assert (
        is_fresh(
            settings, APPROVE_MESSAGE, verified_at=verified_at, verified_method=method, now=NOW
        )
        is fresh
    )
    # The other actions keep their own setting (none by default).
    assert is_fresh(settings, ACTIVATE_COD, verified_at=None, verified_method=None, now=NOW)


def test_adding_a_passkey_takes_any_recent_verification(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, step_up_minutes=5)
    recent = NOW - timedelta(minutes=2)
    for method in ("password", "passkey", "proconnect"):
        assert is_fresh(settings, ADD_PASSKEY, verified_at=recent, verified_method=method, now=NOW)
    stale = NOW - timedelta(minutes=6)
    assert not is_fresh(
        settings, ADD_PASSKEY, verified_at=stale, verified_method="password", now=NOW
    )
