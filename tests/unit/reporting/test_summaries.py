"""The main courante's one-line summaries of a send and of a large fan-out, in French."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crisis.reporting.summary import entry_summary
from crisis.store.journal import JournalEntry


def entry(kind: str, payload: dict[str, Any]) -> JournalEntry:
    at = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    return JournalEntry("c", 1, at, "cellule", kind, payload, "0" * 64, "1" * 64)


def test_a_send_counts_its_deliveries_per_channel_with_french_digit_groups() -> None:
    sent = entry(
        "event.MessageSent",
        {"audiences": ["elus"], "lists": ["Maires"], "deliveries": {"telegram_dm": 6000}},
    )
    assert entry_summary(sent) == "élus, liste « Maires » — Telegram (message personnel) 6\u202f000"


def test_a_finished_fan_out_gives_the_totals_and_the_unreachable() -> None:
    done = entry(
        "event.FanoutCompleted",
        {"deliveries": {"email": 3, "telegram_dm": 100000}, "unreachable": 1234},
    )
    assert entry_summary(done) == (
        "en tout — courriel 3, Telegram (message personnel) 100\u202f000 ; "
        "1\u202f234 sans adresse utilisable"
    )
    nobody_left_out = entry("event.FanoutCompleted", {"deliveries": {"sms": 2}, "unreachable": 0})
    assert entry_summary(nobody_left_out) == "en tout — SMS 2"
