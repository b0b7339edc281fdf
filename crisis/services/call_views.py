"""The phone calls of an event, one per delivery on the voice channel: who was called, the
number masked, what came of the call in French, the attempts and the instant.

The outcome comes from the delivery: what the person did when the call was answered (« 1 »,
« 2 », no key), else its state and the SIP reason of its last attempt (busy, no answer,
refused), as the dispatcher recorded them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from crisis.contacts.csv_export import french_mobile
from crisis.domain.messages import ChannelName
from crisis.labels import CALL_OUTCOME_LABELS
from crisis.store.delivery_status import DeliveryStatus
from crisis.store.outbox_repository import DeliveryRow
from crisis.store.unit_of_work import UnitOfWork

# The most recent calls shown on the event page; the count says how many there are.
CALLS_SHOWN = 200
_SIP_STATUS = re.compile(r"\(SIP (\d{3})\b")
_BUSY = frozenset({486, 600})
_NO_ANSWER = frozenset({408, 480, 487})
_REFUSED = frozenset({403, 603, 606})


@dataclass(frozen=True, slots=True)
class CallView:
    delivery_id: str
    name: str
    number: str  # masked: « 06 •• •• •• 78 »
    outcome: str  # a key of crisis.labels.CALL_OUTCOME_LABELS
    outcome_label: str
    attempts: int
    at: datetime  # answered, finished, or queued for a call not placed yet
    retrying: bool  # another attempt is planned
    reason: str | None  # the last SIP reason, for a call that did not get through

    @property
    def good(self) -> bool:
        return self.outcome in ("key_1", "answered")


@dataclass(frozen=True, slots=True)
class CallsView:
    calls: list[CallView]
    total: int


def masked_number(e164: str) -> str:
    """« +33612345678 » → « 06 •• •• •• 78 »: enough to tell two numbers apart on a
    screen others can see, not enough to call."""
    try:
        shown = french_mobile(e164)
    except Exception:
        shown = e164
    digits = [i for i, c in enumerate(shown) if c.isdigit()]
    keep = set(digits[:2] + digits[-2:])
    return "".join(c if (i in keep or not c.isdigit()) else "•" for i, c in enumerate(shown))


def call_outcome(row: DeliveryRow) -> str:
    """What came of one call, as a key of CALL_OUTCOME_LABELS."""
    if row.person_outcome == "acknowledged":
        return "key_1"
    if row.person_outcome in ("declined", "message_left"):
        return row.person_outcome
    if row.status == DeliveryStatus.ACCEPTED:
        return "answered"
    if row.status == DeliveryStatus.CANCELLED:
        return "cancelled"
    if row.status == DeliveryStatus.IN_FLIGHT:
        return "ringing"
    found = _SIP_STATUS.search(row.last_error or "")
    status = int(found.group(1)) if found else None
    if status in _BUSY:
        return "busy"
    if status in _NO_ANSWER or "pas de réponse" in (row.last_error or ""):
        return "no_answer"
    if status in _REFUSED or row.status == DeliveryStatus.REFUSED:
        return "refused"
    if row.status == DeliveryStatus.FAILED or row.attempts:
        return "failed"
    return "pending"


def call_view(row: DeliveryRow) -> CallView:
    outcome = call_outcome(row)
    return CallView(
        delivery_id=row.id,
        name=row.recipient_name or "—",
        number=masked_number(row.recipient),
        outcome=outcome,
        outcome_label=CALL_OUTCOME_LABELS[outcome],
        attempts=row.attempts,
        at=row.accepted_at or row.finished_at or row.queued_at,
        retrying=row.status == DeliveryStatus.PENDING and row.attempts > 0,
        reason=None
        if outcome in ("key_1", "answered", "declined", "message_left")
        else (row.last_error or None),
    )


def calls_view(uow: UnitOfWork, crisis_id: str, *, limit: int = CALLS_SHOWN) -> CallsView:
    """The event's calls, most recent first (call-out pages and élus alike)."""
    rows = uow.outbox.calls_of(crisis_id, channel=ChannelName.VOICE.value, limit=limit)
    total = uow.outbox.count_calls(crisis_id, channel=ChannelName.VOICE.value)
    return CallsView(calls=[call_view(r) for r in rows], total=total)
