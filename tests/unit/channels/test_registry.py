"""Building channels from the typed configuration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from channels.config import ChannelsConfig
from channels.contract import RecipientKind
from channels.registry import build_channels
from crisis.clock import ManualClock

CLOCK = ManualClock(datetime(2025, 1, 1, tzinfo=UTC))


def test_builds_only_configured_channels_and_hides_secrets() -> None:
    config = ChannelsConfig.model_validate(
        {
            "telegram": {"token": "123:tg-secret", "public_chat": "@pref45"},
            "x": {"user_access_token": "x-secret"},
            "email": {"host": "smtp.example.fr", "from_address": "com@loiret.gouv.fr"},
            "sms": {"base_url": "https://sms.example.fr", "api_key": "sms-secret"},
            "webhook": {
                "secret": "whsec_0eulSCXHeBbe7qp83t4UXxBZvoFgoZr9ZbC1g7wCR9I=",
                "url": "https://hooks.example.fr/crise",
            },
        }
    )
    channels = build_channels(config, clock=CLOCK)
    assert sorted(channels) == ["email", "sms", "telegram_dm", "telegram_public", "webhook", "x"]
    assert channels["telegram_public"].recipient_kind is RecipientKind.BROADCAST
    assert channels["sms"].limits.max_segments == 3
    dumped = repr(config) + str(config.model_dump()) + repr(channels)
    for secret in ("tg-secret", "x-secret", "sms-secret", "wh-secret"):
        assert secret not in dumped


def test_empty_configuration_builds_nothing() -> None:
    assert build_channels(ChannelsConfig(), clock=CLOCK) == {}


def test_incomplete_x_credentials_are_refused() -> None:
    with pytest.raises(ValidationError, match="OAuth"):
        ChannelsConfig.model_validate({"x": {"consumer_key": "only-one"}})
