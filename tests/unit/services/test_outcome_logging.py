"""What the dispatcher's outbox logs of each outcome: a failure always (WARNING, with its
event, message and delivery), an acceptance only at DEBUG."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.dispatcher import DeliveryResult, Outcome
from crisis.dispatching import BusOutbox

T0 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


class _Bus:
    def __init__(self) -> None:
        self.commands: list[Any] = []

    def handle(self, command: Any, *, actor: Any) -> None:
        self.commands.append(command)


def _result(delivery_id: str, outcome: Outcome, error: str | None = None) -> DeliveryResult:
    return DeliveryResult(
        delivery_id=delivery_id,
        crisis_id="c-1",
        message_id="m-1",
        audience="elus",
        channel="sms",
        attempt=2,
        started_at=T0,
        finished_at=T0,
        outcome=outcome,
        error=error,
    )


def _record(caplog: pytest.LogCaptureFixture, level: int) -> tuple[_Bus, list[logging.LogRecord]]:
    bus = _Bus()
    outbox = BusOutbox(bus, worker="w")  # type: ignore[arg-type]
    with caplog.at_level(level, logger="crisis.dispatching"):
        outbox.record(
            [
                _result("d-1", Outcome.ACCEPTED),
                _result("d-2", Outcome.FAILED, "SMS : numéro invalide."),
            ]
        )
    return bus, [r for r in caplog.records if r.name == "crisis.dispatching"]


def test_a_failure_is_logged_an_acceptance_is_not(caplog: pytest.LogCaptureFixture) -> None:
    bus, records = _record(caplog, logging.INFO)
    assert [r.getMessage() for r in records] == [
        "diffusion failed sur sms : tentative 2 (SMS : numéro invalide.)"
    ]
    assert records[0].levelno == logging.WARNING
    assert (records[0].crisis_id, records[0].delivery_id) == ("c-1", "d-2")  # type: ignore[attr-defined]
    assert len(bus.commands[0].results) == 2  # every outcome is recorded, logged or not


def test_at_debug_every_outcome_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    _, records = _record(caplog, logging.DEBUG)
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.DEBUG, "diffusion accepted sur sms : tentative 2"),
        (logging.WARNING, "diffusion failed sur sms : tentative 2 (SMS : numéro invalide.)"),
    ]
