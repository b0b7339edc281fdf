"""The deliveries the event page lists as troubled are chosen by the database, on both: those
that failed, were refused or wait for a retry, oldest first, a bounded number of them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, update

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.contact_commands import ImportContacts
from crisis.store.tables import deliveries
from tests.integration.delivery.conftest import OFFICER, open_active
from tests.integration.delivery.test_fanout_streaming import elus_csv, send_on_telegram


def test_troubled_deliveries_are_the_failed_refused_and_retried_ones_oldest_first(
    service: Service, engine: Engine, clock: ManualClock
) -> None:
    service.bus.handle(ImportContacts(file_name="elus.csv", content=elus_csv(12)), actor=OFFICER)
    crisis_id = open_active(service, exercise=False)
    first = send_on_telegram(service, crisis_id).message_id
    clock.advance(timedelta(minutes=1))
    second = send_on_telegram(service, crisis_id).message_id
    with service.bus.reading() as uow:
        rows = uow.outbox.deliveries_of(message_id=first)
    # Per recipient of the first message: its status and attempts (the rest stay pending, 0).
    fates = {
        "5000": ("failed", 3),
        "5001": ("refused", 1),
        "5002": ("pending", 2),  # waits for a retry
        "5003": ("accepted", 1),
        "5004": ("in_flight", 1),
        "5005": ("failed", 1),
    }
    queued = clock.now() - timedelta(minutes=10)
    with engine.begin() as connection:
        for row in rows:
            status, attempts = fates.get(row.recipient, ("pending", 0))
            # The older the recipient's number, the earlier it was queued.
            at = queued + timedelta(seconds=int(row.recipient) - 5000)
            connection.execute(
                update(deliveries)
                .where(deliveries.c.id == row.id)
                .values(status=status, attempts=attempts, queued_at=at)
            )

    with service.bus.reading() as uow:
        listed = uow.outbox.troubled(message_id=first, limit=50)
        bounded = uow.outbox.troubled(message_id=first, limit=2)
        other = uow.outbox.troubled(message_id=second, limit=50)

    assert [(d.recipient, d.status) for d in listed] == [
        ("5000", "failed"),
        ("5001", "refused"),
        ("5002", "pending"),
        ("5005", "failed"),
    ]
    assert [d.recipient for d in bounded] == ["5000", "5001"]
    assert other == []
