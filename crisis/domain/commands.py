"""What someone asks for: one handler per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crisis.domain.vocabulary import Audience, ClockName, CrisisKind


@dataclass(frozen=True, slots=True)
class Command:
    def journal_payload(self) -> object:
        """What the journal keeps of the command: all of it, unless a command says less."""
        return self


@dataclass(frozen=True, slots=True)
class CodDecision:
    decided_by: str
    synergi_ref: str | None
    decided_at: datetime | None = None  # None: now


@dataclass(frozen=True, slots=True)
class OpenCrisis(Command):
    title: str
    kind: CrisisKind
    exercise: bool
    communes: tuple[str, ...] = ()
    reported_at: datetime | None = None  # None: now
    activation: CodDecision | None = None  # open and activate in one step
    # Refuse (LikelyDuplicate) when an open event looks the same (crisis.domain.duplicates);
    # the console asks for it until the person confirms a distinct event.
    check_duplicates: bool = False


@dataclass(frozen=True, slots=True)
class ActivateCod(Command):
    crisis_id: str
    decision: CodDecision


@dataclass(frozen=True, slots=True)
class DeclareCellOperational(Command):
    crisis_id: str
    declared_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class CorrectClock(Command):
    """Correct what met a clock, with a reason: withdrawn (`met_at` None) or another instant."""

    crisis_id: str
    clock: ClockName
    reason: str
    met_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecordDelivery(Command):
    crisis_id: str
    audience: Audience
    delivered_at: datetime
    means: str
    recipients: str = ""


@dataclass(frozen=True, slots=True)
class CheckDeadlines(Command):
    crisis_id: str | None = None  # None: every crisis with a running clock


@dataclass(frozen=True, slots=True)
class RecordServiceAlert(Command):
    """An alert the service sent about itself (its deadline checks down, then restored)."""

    state: str  # "down" or "restored"
    subject: str
    text: str
    jobs: tuple[str, ...]
    sent_at: datetime  # when it left: it is journalled later when the database was away
    accepted: tuple[str, ...]  # the channels that accepted it, one per recipient reached
    failed: tuple[str, ...]  # « canal : raison », one per attempt refused


@dataclass(frozen=True, slots=True)
class CloseCrisis(Command):
    crisis_id: str
    reason: str
    closed_at: datetime | None = None
    # Opened by mistake (a duplicate, a wrong click): left out of the indicators, reason shown.
    opened_by_mistake: bool = False


@dataclass(frozen=True, slots=True)
class AddUser(Command):
    name: str
    role: str
    password: str | None = field(default=None, repr=False)  # for the console; None: token only
    email: str | None = None  # matched by a first ProConnect sign-in

    def journal_payload(self) -> Any:
        return {
            "name": self.name,
            "role": self.role,
            "with_password": self.password is not None,
            "email": self.email,
        }


@dataclass(frozen=True, slots=True)
class SetPassword(Command):
    name: str
    password: str = field(repr=False)
    # The session making the change, kept when the user changes their own password: the
    # user's other sessions end.
    keep_session: str | None = field(default=None, repr=False)

    def journal_payload(self) -> Any:
        return {"name": self.name}


@dataclass(frozen=True, slots=True)
class SendMessage(Command):
    crisis_id: str
    texts: tuple[tuple[str, str], ...]  # (variant, text) pairs: see crisis.domain.messages
    audiences: tuple[Audience, ...] = ()
    lists: tuple[str, ...] = ()
    channels: tuple[str, ...] | None = None  # restrict to these channels
    msg_type: str = "alert"
    references_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContinueFanout(Command):
    """Write the next chunk of a large fan-out that the send left to the background."""

    message_id: str


@dataclass(frozen=True, slots=True)
class RecordHandsetReceipts(Command):
    """Receipts an operator sent for what one route (a channel's bind) accepted."""

    route: str
    receipts: tuple[Any, ...]  # channels.contract.HandsetReceipt

    def journal_payload(self) -> Any:
        delivered = sum(1 for r in self.receipts if r.delivered)
        # Each message's receipts are journalled as one event; the command says how many.
        return {
            "route": self.route,
            "receipts": len(self.receipts),
            "delivered": delivered,
            "undelivered": len(self.receipts) - delivered,
        }


@dataclass(frozen=True, slots=True)
class RecordDeliveryOutcomes(Command):
    worker: str
    results: tuple[Any, ...]  # channels.dispatcher.DeliveryResult

    def journal_payload(self) -> Any:
        outcomes: dict[str, int] = {}
        for result in self.results:
            outcomes[str(result.outcome)] = outcomes.get(str(result.outcome), 0) + 1
        # Each delivery's fate is journalled as its own event; the command says how many.
        return {"worker": self.worker, "results": len(self.results), "outcomes": outcomes}


@dataclass(frozen=True, slots=True)
class RetryDelivery(Command):
    delivery_id: str


@dataclass(frozen=True, slots=True)
class PlayInject(Command):
    crisis_id: str
    offset_minutes: int
    sender: str
    to: str
    channel: str
    content: str
    expected_action: str | None = None
    target_at: datetime | None = None
