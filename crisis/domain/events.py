"""What happened: facts raised by the model, journalled and routed by the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crisis.domain.vocabulary import Audience, ClockName, CrisisKind


@dataclass(frozen=True, slots=True)
class Event:
    crisis_id: str


@dataclass(frozen=True, slots=True)
class CrisisOpened(Event):
    title: str
    kind: CrisisKind
    communes: tuple[str, ...]
    reported_at: datetime
    exercise: bool


@dataclass(frozen=True, slots=True)
class CodActivated(Event):
    decided_at: datetime
    decided_by: str
    synergi_ref: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ClockStarted(Event):
    clock: ClockName
    started_at: datetime
    deadline: datetime
    target_minutes: int
    warning_offsets: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ClockMet(Event):
    clock: ClockName
    met_at: datetime
    met_by: str
    late: bool
    recorded_after_breach: bool


@dataclass(frozen=True, slots=True)
class ClockCorrected(Event):
    """Someone corrected what met a clock: the declaration withdrawn (`met_at` None), or the
    instant it was really met. The reports and the indicators count the corrected value."""

    clock: ClockName
    previous_met_at: datetime | None
    previous_met_by: str | None
    met_at: datetime | None
    reason: str
    corrected_by: str


@dataclass(frozen=True, slots=True)
class ClockWarning(Event):
    clock: ClockName
    offset_minutes: int
    due_at: datetime
    raised_at: datetime
    deadline: datetime


@dataclass(frozen=True, slots=True)
class ClockBreached(Event):
    clock: ClockName
    due_at: datetime
    raised_at: datetime
    target_minutes: int


@dataclass(frozen=True, slots=True)
class CellDeclaredOperational(Event):
    declared_at: datetime
    declared_by: str
    note: str


@dataclass(frozen=True, slots=True)
class CipOrdered(Event):
    ordered_at: datetime
    ordered_by: str
    numero_unique: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class CipDeclaredOperational(Event):
    declared_at: datetime
    declared_by: str
    note: str


@dataclass(frozen=True, slots=True)
class DeliveryRecorded(Event):
    delivery_id: str
    audience: Audience
    delivered_at: datetime
    means: str
    recipients: str
    recorded_by: str


@dataclass(frozen=True, slots=True)
class CrisisClosed(Event):
    closed_at: datetime
    closed_by: str
    reason: str
    opened_by_mistake: bool = False


@dataclass(frozen=True, slots=True)
class MessageSent(Event):
    message_id: str
    purpose: str
    msg_type: str
    references_id: str | None
    audiences: tuple[str, ...]
    lists: tuple[str, ...]
    exercise: bool
    deliveries: dict[str, int]  # channel → rows written to the outbox
    unreachable: int  # recipients with no address on any usable channel


@dataclass(frozen=True, slots=True)
class FanoutCompleted(Event):
    """A large fan-out, continued in the background after `MessageSent`, is fully written."""

    message_id: str
    deliveries: dict[str, int]  # channel → rows written to the outbox, the send's included
    unreachable: int


@dataclass(frozen=True, slots=True)
class AcceptedDelivery:
    """One delivery a provider accepted, inside `DeliveriesAccepted`."""

    delivery_id: str
    queued_at: datetime
    accepted_at: datetime
    provider_message_id: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class DeliveriesAccepted(Event):
    """Providers accepted these deliveries of one message, on one channel, for one audience:
    one entry per recorded batch, each delivery with its own instants and provider id.

    Journals written before it hold one `DeliveryAccepted` entry per delivery (the same
    fields, `message_id`, `channel` and `audience` included); the report still reads them.
    """

    message_id: str
    channel: str
    audience: str
    deliveries: tuple[AcceptedDelivery, ...]
    # Those of them that are fallbacks (another channel for someone a delivery failed to
    # reach): each is a delivery of its own, which the message's plan did not count.
    fallbacks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HandsetReport:
    """One delivery's last word from the operator: on the handset at `at`, or not (why)."""

    delivery_id: str
    delivered: bool
    at: datetime
    reason: str
    # The delivery that tries another channel for the same élu, when this one was not.
    fallback_delivery_id: str | None = None


@dataclass(frozen=True, slots=True)
class HandsetReceiptsRecorded(Event):
    """The operator's receipts for deliveries of one message, on one channel, for one
    audience: one entry per recorded batch of receipts, not one per SMS."""

    message_id: str
    channel: str
    audience: str
    reports: tuple[HandsetReport, ...]


@dataclass(frozen=True, slots=True)
class DeliveryFailed(Event):
    delivery_id: str
    message_id: str
    channel: str
    audience: str
    reason: str
    attempts: int
    refused: bool  # stopped by the exercise interlock, never shown to a provider
    fallback_delivery_id: str | None
    fallback_of: str | None = None  # this delivery was itself a fallback of that one


@dataclass(frozen=True, slots=True)
class ChannelDown(Event):
    """A channel kept failing: declared down, journalled on the crisis whose delivery tipped it."""

    channel: str
    exercise: bool
    failures: int
    failing_since: datetime
    waiting: int
    fallbacks: int


@dataclass(frozen=True, slots=True)
class ChannelRestored(Event):
    channel: str
    exercise: bool
    down_since: datetime
    restored_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveriesGaveUp(Event):
    """Deliveries of one crisis on one channel failed for good: one alert, with the count."""

    channel: str
    count: int
    refused: bool


@dataclass(frozen=True, slots=True)
class DeliveryRequeued(Event):
    delivery_id: str
    message_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class InjectPlayed(Event):
    """A drill inject delivered to its players (a call, a mail, a message from the SIDPC…)."""

    offset_minutes: int
    sender: str
    to: str
    channel: str
    content: str
    expected_action: str | None
    target_at: datetime | None
