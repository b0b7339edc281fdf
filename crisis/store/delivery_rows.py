"""A delivery as the outbox's readers see it: one row of `deliveries`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: str
    message_id: str
    crisis_id: str
    audience: str
    channel: str
    recipient_kind: str
    recipient: str
    recipient_name: str
    contact_id: str | None
    status: str
    attempts: int
    queued_at: datetime
    next_attempt_at: datetime
    provider_message_id: str | None
    accepted_at: datetime | None
    finished_at: datetime | None
    last_error: str | None
    fallback_of: str | None
    # What the operator's receipts said of the handset (SMS over SMPP), when they said it.
    handset_status: str | None = None
    handset_at: datetime | None = None
    handset_reason: str | None = None
    person_outcome: str | None = None  # a call: what the person did


def delivery_row(row: Any) -> DeliveryRow:
    return DeliveryRow(
        id=row.id,
        message_id=row.message_id,
        crisis_id=row.crisis_id,
        audience=row.audience,
        channel=row.channel,
        recipient_kind=row.recipient_kind,
        recipient=row.recipient,
        recipient_name=row.recipient_name,
        contact_id=row.contact_id,
        status=row.status,
        attempts=row.attempts,
        queued_at=row.queued_at,
        next_attempt_at=row.next_attempt_at,
        provider_message_id=row.provider_message_id,
        accepted_at=row.accepted_at,
        finished_at=row.finished_at,
        last_error=row.last_error,
        fallback_of=row.fallback_of,
        handset_status=row.handset_status,
        handset_at=row.handset_at,
        handset_reason=row.handset_reason,
        person_outcome=row.person_outcome,
    )
