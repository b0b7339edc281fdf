"""Acceptances journalled per recorded batch, and per delivery in journals written before:
the report counts, times and groups both the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crisis.reporting.summary import entry_summary
from crisis.reporting.timing import build_report
from crisis.store.journal import ChainCheck, JournalEntry

SENT_AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def journal(*kinds_and_payloads: tuple[str, dict[str, Any]]) -> list[JournalEntry]:
    return [
        JournalEntry("c", seq, SENT_AT, "cellule", kind, payload, "0" * 64, f"{seq:064d}")
        for seq, (kind, payload) in enumerate(kinds_and_payloads, start=1)
    ]


def accepted(delivery_id: str, after_seconds: float) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "queued_at": SENT_AT.isoformat(),
        "accepted_at": (SENT_AT + timedelta(seconds=after_seconds)).isoformat(),
        "provider_message_id": f"1:{delivery_id}",
        "attempts": 1,
    }


def batch(*deliveries: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return (
        "event.DeliveriesAccepted",
        {
            "message_id": "m1",
            "channel": "telegram_dm",
            "audience": "elus",
            "deliveries": list(deliveries),
        },
    )


def one_by_one(delivery_id: str, after_seconds: float) -> tuple[str, dict[str, Any]]:
    """The entry an older version wrote for each delivery."""
    fields = {"message_id": "m1", "channel": "telegram_dm", "audience": "elus"}
    return "event.DeliveryAccepted", fields | accepted(delivery_id, after_seconds)


SENT = (
    "event.MessageSent",
    {"message_id": "m1", "audiences": ["elus"], "deliveries": {"telegram_dm": 6}},
)


def report_of(entries: list[JournalEntry]) -> Any:
    chain = ChainCheck("c", len(entries), True)
    return build_report(crisis_id="c", entries=entries, chain=chain, now=SENT_AT)


def test_batches_in_a_row_are_one_line_counting_their_deliveries() -> None:
    entries = journal(
        SENT,
        batch(accepted("d1", 1), accepted("d2", 2), accepted("d3", 3)),
        batch(accepted("d4", 4), accepted("d5", 5)),
        batch(accepted("d6", 60)),
    )
    report = report_of(entries)
    (channel,) = report.messages[0].channels
    assert (channel.deliveries, channel.accepted, channel.failed) == (6, 6, 0)
    assert channel.latency_p50_seconds == 3.0
    assert channel.latency_p95_seconds == 60.0
    assert channel.last_accepted_at == SENT_AT + timedelta(seconds=60)
    line = report.chronology[1]
    assert (line.seq, line.last_seq, line.entries) == (2, 4, 3)
    assert line.summary == "Telegram (message personnel) → élus : 6 diffusions acceptées"
    assert line.hash == entries[-1].hash


def test_an_older_journal_with_one_entry_per_delivery_gives_the_same_figures() -> None:
    older = report_of(
        journal(SENT, *(one_by_one(f"d{i}", s) for i, s in enumerate((1, 2, 3, 4, 5, 60))))
    )
    (channel,) = older.messages[0].channels
    assert (channel.accepted, channel.latency_p50_seconds, channel.latency_p95_seconds) == (
        6,
        3.0,
        60.0,
    )
    line = older.chronology[1]
    assert (line.seq, line.last_seq, line.entries) == (2, 7, 6)
    assert line.summary.endswith(" : 6 diffusions acceptées")


def test_a_single_batch_summary_says_how_many_it_holds() -> None:
    (single,) = journal(batch(accepted("d1", 1)))
    assert entry_summary(single) == "Telegram (message personnel) → élus : 1 diffusion acceptée"
    (many,) = journal(batch(*(accepted(f"d{i}", 1) for i in range(1500))))
    assert entry_summary(many).endswith(" : 1\u202f500 diffusions acceptées")
