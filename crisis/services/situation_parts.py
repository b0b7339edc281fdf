"""The parts of an event's situation besides its clocks: the call-out, the prepared
messages, the messages sent and their deliveries, the channels down; and how each journal
entry about them is folded (`crisis.services.situation`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crisis.store.journal import JournalEntry

if TYPE_CHECKING:
    from crisis.services.situation import SituationFold


def instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


@dataclass(slots=True)
class PagedMember:
    page_id: str
    role: str
    member_id: str
    name: str
    round: int
    paged_at: datetime
    channels: tuple[str, ...]
    ack_due_at: datetime
    acknowledged_at: datetime | None = None
    via: str | None = None
    recorded_by: str | None = None
    declined: bool = False


@dataclass(slots=True)
class CalloutState:
    callout_id: str
    team: str
    reason: str
    started_at: datetime
    started_by: str
    quorum: tuple[str, ...]
    pages: list[PagedMember] = field(default_factory=list)
    escalations: int = 0
    officer_alerts: int = 0
    unstaffed: list[str] = field(default_factory=list)
    quorum_reached_at: datetime | None = None


@dataclass(slots=True)
class DraftState:
    draft_id: str
    template: str | None
    audiences: tuple[str, ...]
    composed_by: str
    composed_at: datetime
    needs_approval: bool
    state: str = "draft"  # draft, submitted, approved, rejected, sent
    submitted_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    message_id: str | None = None


@dataclass(slots=True)
class ChannelFigures:
    """One channel of one message: planned by the send; accepted, failed and refused by the
    providers (fallbacks on this channel included); pending, the planned ones not yet done."""

    planned: int = 0
    accepted: int = 0
    failed: int = 0
    refused: int = 0
    done_planned: int = 0  # the planned ones accepted, failed or refused (fallbacks are not)

    @property
    def pending(self) -> int:
        return max(0, self.planned - self.done_planned)


@dataclass(slots=True)
class MessageState:
    message_id: str
    purpose: str
    audiences: tuple[str, ...]
    sent_at: datetime
    sent_by: str
    exercise: bool
    channels: dict[str, ChannelFigures] = field(default_factory=dict)
    unreachable: int = 0
    complete: bool = True
    fallbacks: set[str] = field(default_factory=set)  # deliveries made to replace a failure
    fallbacks_done: int = 0

    def channel(self, name: str) -> ChannelFigures:
        found = self.channels.get(name)
        if found is None:
            found = self.channels[name] = ChannelFigures()
        return found

    @property
    def pending(self) -> int:
        """Deliveries not yet accepted, failed or refused, fallbacks included."""
        planned = sum(c.pending for c in self.channels.values())
        return planned + max(0, len(self.fallbacks) - self.fallbacks_done)


@dataclass(slots=True)
class ChannelOutage:
    channel: str
    declared_at: datetime  # when the service declared it down (the entry's instant)
    failing_since: datetime
    failures: int
    restored_at: datetime | None = None


# --- the call-out ----------------------------------------------------------------------------


def _callout_started(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    s.callouts[str(p["callout_id"])] = CalloutState(
        callout_id=str(p["callout_id"]),
        team=str(p["team"]),
        reason=str(p.get("reason", "")),
        started_at=e.at,
        started_by=e.actor,
        quorum=tuple(p.get("quorum", ())),
    )


def _paged(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    callout = s.callouts.get(str(p["callout_id"]))
    if callout is None:
        return
    callout.pages.append(
        PagedMember(
            page_id=str(p["page_id"]),
            role=str(p["role"]),
            member_id=str(p["member_id"]),
            name=str(p["member_name"]),
            round=int(p["round"]),
            paged_at=e.at,
            channels=tuple(p.get("channels", ())),
            ack_due_at=instant(p["ack_due_at"]),
        )
    )


def _page(s: SituationFold, p: dict[str, Any]) -> PagedMember | None:
    callout = s.callouts.get(str(p["callout_id"]))
    if callout is None:
        return None
    return next((m for m in callout.pages if m.page_id == p["page_id"]), None)


def _acknowledged(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    page = _page(s, p)
    if page is not None and page.acknowledged_at is None:
        page.acknowledged_at = instant(p["acknowledged_at"])
        page.via = p.get("via")
        page.recorded_by = p.get("recorded_by")


def _declined(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    page = _page(s, p)
    if page is not None:
        page.declined = True


def _escalated(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    callout = s.callouts.get(str(p["callout_id"]))
    if callout is not None:
        callout.escalations += 1


def _officer_alerted(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    callout = s.callouts.get(str(p["callout_id"]))
    if callout is not None:
        callout.officer_alerts += 1


def _unstaffed(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    callout = s.callouts.get(str(p["callout_id"]))
    if callout is not None and p["role"] not in callout.unstaffed:
        callout.unstaffed.append(str(p["role"]))


def _quorum(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    callout = s.callouts.get(str(p["callout_id"]))
    if callout is not None and callout.quorum_reached_at is None:
        callout.quorum_reached_at = instant(p["reached_at"])


# --- prepared messages -----------------------------------------------------------------------


def _composed(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    s.drafts[str(p["draft_id"])] = DraftState(
        draft_id=str(p["draft_id"]),
        template=p.get("template"),
        audiences=tuple(p.get("audiences", ())),
        composed_by=str(p["composed_by"]),
        composed_at=e.at,
        needs_approval=bool(p.get("needs_approval", False)),
    )


def _draft(s: SituationFold, p: dict[str, Any]) -> DraftState | None:
    return s.drafts.get(str(p["draft_id"]))


def _edited(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    draft = _draft(s, p)
    if draft is not None:
        draft.audiences = tuple(p.get("audiences", ()))
        draft.needs_approval = bool(p.get("needs_approval", False))
        draft.state = "draft"
        draft.decided_by = draft.decided_at = None


def _submitted(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    draft = _draft(s, p)
    if draft is not None:
        draft.state, draft.submitted_at = "submitted", e.at


def _approved(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    draft = _draft(s, p)
    if draft is not None:
        draft.state, draft.decided_by, draft.decided_at = "approved", str(p["approved_by"]), e.at


def _rejected(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    draft = _draft(s, p)
    if draft is not None:
        draft.state, draft.decided_by, draft.decided_at = "rejected", str(p["rejected_by"]), e.at


def _draft_sent(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    draft = _draft(s, p)
    if draft is not None:
        draft.state, draft.message_id = "sent", str(p["message_id"])


# --- messages and their deliveries -------------------------------------------------------


def _message_sent(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    known = s.messages.get(str(p["message_id"]))
    if known is not None:  # sent again by a later entry: what it planned, now known
        for channel, count in p.get("deliveries", {}).items():
            known.channel(str(channel)).planned = int(count)
        return
    message = MessageState(
        message_id=str(p["message_id"]),
        purpose=str(p.get("purpose", "")),
        audiences=tuple(p.get("audiences", ())),
        sent_at=e.at,
        sent_by=e.actor,
        exercise=bool(p.get("exercise", False)),
        unreachable=int(p.get("unreachable", 0)),
    )
    for channel, count in p.get("deliveries", {}).items():
        message.channel(str(channel)).planned = int(count)
    s.messages[message.message_id] = message


def _fanout_completed(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    message = s.messages.get(str(p["message_id"]))
    if message is None:
        return
    for channel, count in p.get("deliveries", {}).items():
        message.channel(str(channel)).planned = int(count)
    message.unreachable = int(p.get("unreachable", message.unreachable))


def _resolved(message: MessageState, channel: str, delivery_id: str, attribute: str) -> None:
    figures = message.channel(channel)
    setattr(figures, attribute, getattr(figures, attribute) + 1)
    if delivery_id in message.fallbacks:
        message.fallbacks_done += 1
    else:
        figures.done_planned += 1


def _accepted(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    message = s.messages.get(str(p["message_id"]))
    if message is None:
        return
    channel = str(p["channel"])
    if "deliveries" not in p:  # one entry per delivery, in older journals
        _resolved(message, channel, str(p.get("delivery_id", "")), "accepted")
        return
    message.fallbacks.update(str(d) for d in p.get("fallbacks", ()))
    for delivery in p["deliveries"]:
        _resolved(message, channel, str(delivery["delivery_id"]), "accepted")


def _failed(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    message = s.messages.get(str(p["message_id"]))
    if message is None:
        return
    if p.get("fallback_of"):
        message.fallbacks.add(str(p["delivery_id"]))
    attribute = "refused" if p.get("refused") else "failed"
    _resolved(message, str(p["channel"]), str(p["delivery_id"]), attribute)
    if p.get("fallback_delivery_id"):
        message.fallbacks.add(str(p["fallback_delivery_id"]))


def _requeued(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    message = s.messages.get(str(p["message_id"]))
    if message is None:
        return
    figures = message.channel(str(p["channel"]))
    figures.failed = max(0, figures.failed - 1)
    if str(p["delivery_id"]) in message.fallbacks:
        message.fallbacks_done = max(0, message.fallbacks_done - 1)
    else:
        figures.done_planned = max(0, figures.done_planned - 1)


def _channel_down(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    s.outages[str(p["channel"])] = ChannelOutage(
        channel=str(p["channel"]),
        declared_at=e.at,
        failing_since=instant(p["failing_since"]),
        failures=int(p.get("failures", 0)),
    )


def _channel_restored(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    outage = s.outages.get(str(p["channel"]))
    if outage is not None:
        outage.restored_at = instant(p["restored_at"])


PART_APPLIERS: dict[str, Callable[[SituationFold, JournalEntry, dict[str, Any]], None]] = {
    "event.CalloutStarted": _callout_started,
    "event.MemberPaged": _paged,
    "event.PageAcknowledged": _acknowledged,
    "event.PageDeclined": _declined,
    "event.CalloutEscalated": _escalated,
    "event.CalloutOfficerAlerted": _officer_alerted,
    "event.RoleUnstaffed": _unstaffed,
    "event.QuorumReached": _quorum,
    "event.DraftComposed": _composed,
    "event.DraftEdited": _edited,
    "event.DraftSubmitted": _submitted,
    "event.DraftApproved": _approved,
    "event.DraftRejected": _rejected,
    "event.DraftSent": _draft_sent,
    "event.MessageSent": _message_sent,
    "event.FanoutCompleted": _fanout_completed,
    "event.DeliveriesAccepted": _accepted,
    "event.DeliveryAccepted": _accepted,
    "event.DeliveryFailed": _failed,
    "event.DeliveryRequeued": _requeued,
    "event.ChannelDown": _channel_down,
    "event.ChannelRestored": _channel_restored,
}
