"""An event's situation as of an instant, folded from its journal entries alone.

The one fold behind the console's live pages (folded up to now, see `situation_cache`) and
behind the replay (folded up to any past instant): what the cell saw at 19 h 42 is what the
live page showed at 19 h 42. Only the entries recorded by the instant count (`entry.at`), in
the order of the chain: a declaration backdated at 19 h 50 to 19 h 30 was not on the screen
at 19 h 40.

The fold keeps the event itself as the domain's `Crisis` (its clocks as `CommitmentClock`),
so the pages' displays of a live event and of a replayed one are the same code.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crisis.domain.clocks import CommitmentClock
from crisis.domain.crisis import CodActivation, Crisis
from crisis.domain.vocabulary import ClockName, CrisisKind, CrisisState
from crisis.store.crises_repository import RaisedAlert
from crisis.store.journal import JournalEntry

# Remarks written afterwards for the RETEX: kept apart, never part of what the cell saw.
ANNOTATION_KIND = "event.ReplayAnnotated"


def _instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _maybe_instant(value: Any) -> datetime | None:
    return _instant(value) if value else None


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
    down_since: datetime
    failures: int
    restored_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Annotation:
    """A remark attached afterwards to an instant of the event, for its RETEX."""

    annotation_id: str
    at: datetime
    text: str
    action_id: str | None
    written_by: str
    written_at: datetime
    seq: int


@dataclass(slots=True)
class SituationFold:
    """The fold itself: `apply` one entry after the other, in the chain's order."""

    crisis_id: str
    crisis: Crisis | None = None
    alerts: list[RaisedAlert] = field(default_factory=list)
    cip: dict[str, Any] | None = None
    callouts: dict[str, CalloutState] = field(default_factory=dict)
    drafts: dict[str, DraftState] = field(default_factory=dict)
    messages: dict[str, MessageState] = field(default_factory=dict)
    outages: dict[str, ChannelOutage] = field(default_factory=dict)
    last_seq: int = 0
    last_at: datetime | None = None
    entries: int = 0

    def copy(self) -> SituationFold:
        return copy.deepcopy(self)

    def apply(self, entry: JournalEntry) -> None:
        self.last_seq = entry.seq
        self.last_at = entry.at
        self.entries += 1
        handler = _APPLIERS.get(entry.kind)
        if handler is not None:
            handler(self, entry, entry.payload)

    def situation(self, at: datetime) -> Situation:
        """What the pages show at `at`, of the entries folded so far (copies: the fold goes on)."""
        return Situation(
            crisis_id=self.crisis_id,
            at=at,
            crisis=copy.deepcopy(self.crisis),
            alerts=sorted(self.alerts, key=lambda a: (a.due_at, a.clock.value)),
            cip=dict(self.cip) if self.cip is not None else None,
            callouts=copy.deepcopy(list(self.callouts.values())),
            drafts=copy.deepcopy(list(self.drafts.values())),
            messages=copy.deepcopy(list(self.messages.values())),
            outages=copy.deepcopy(list(self.outages.values())),
            last_seq=self.last_seq,
        )


@dataclass(frozen=True, slots=True)
class Situation:
    """An event as the cell saw it at `at`: the view model of the live and replayed pages."""

    crisis_id: str
    at: datetime
    crisis: Crisis | None
    alerts: list[RaisedAlert]
    cip: dict[str, Any] | None
    callouts: list[CalloutState]
    drafts: list[DraftState]
    messages: list[MessageState]
    outages: list[ChannelOutage]
    last_seq: int

    @property
    def channels_down(self) -> list[ChannelOutage]:
        return [o for o in self.outages if o.restored_at is None]

    @property
    def waiting_drafts(self) -> list[DraftState]:
        return [d for d in self.drafts if d.state == "submitted"]


def fold(crisis_id: str, entries: list[JournalEntry] | Any) -> SituationFold:
    """Every entry given, folded from nothing."""
    state = SituationFold(crisis_id)
    for entry in entries:
        state.apply(entry)
    return state


# --- the event and its clocks -------------------------------------------------------------


def _opened(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    s.crisis = Crisis(
        id=s.crisis_id,
        title=str(p["title"]),
        kind=CrisisKind(p["kind"]),
        communes=tuple(p.get("communes", ())),
        reported_at=_instant(p["reported_at"]),
        exercise=bool(p["exercise"]),
        created_by=e.actor,
        created_at=e.at,
    )


def _activated(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.crisis is None:
        return
    s.crisis.activation = CodActivation(
        decided_at=_instant(p["decided_at"]),
        decided_by=str(p["decided_by"]),
        synergi_ref=p.get("synergi_ref"),
        recorded_by=str(p["recorded_by"]),
        recorded_at=_instant(p["recorded_at"]),
    )
    s.crisis.state = CrisisState.COD_ACTIVE


def _clock(s: SituationFold, p: dict[str, Any]) -> CommitmentClock | None:
    if s.crisis is None:
        return None
    return s.crisis.clocks.get(ClockName(p["clock"]))


def _clock_started(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.crisis is None:
        return
    name = ClockName(p["clock"])
    s.crisis.clocks[name] = CommitmentClock(
        crisis_id=s.crisis_id,
        name=name,
        target_minutes=int(p["target_minutes"]),
        started_at=_instant(p["started_at"]),
        deadline=_instant(p["deadline"]),
        warning_offsets=tuple(int(o) for o in p["warning_offsets"]),
    )


def _clock_met(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    clock = _clock(s, p)
    if clock is not None:
        clock.meet(at=_instant(p["met_at"]), by=str(p["met_by"]))


def _clock_corrected(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    clock = _clock(s, p)
    if clock is not None:
        # The domain's own rule, so that the corrected clock reads as the model's does.
        clock.correct(
            met_at=_maybe_instant(p.get("met_at")),
            reason=str(p["reason"]),
            by=str(p["corrected_by"]),
        )


def _alert(s: SituationFold, p: dict[str, Any], *, offset: int, kind: str) -> None:
    clock = _clock(s, p)
    if clock is None:
        return
    clock.raised_offsets.add(offset)
    s.alerts.append(
        RaisedAlert(
            crisis_id=s.crisis_id,
            clock=clock.name,
            offset_minutes=offset,
            kind=kind,
            due_at=_instant(p["due_at"]),
            raised_at=_instant(p["raised_at"]),
        )
    )


def _warned(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    _alert(s, p, offset=int(p["offset_minutes"]), kind="warning")


def _breached(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    _alert(s, p, offset=int(p["target_minutes"]), kind="breach")


def _closed(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.crisis is None:
        return
    s.crisis.state = CrisisState.CLOSED
    s.crisis.closed_at = _instant(p["closed_at"])
    s.crisis.closed_by = str(p["closed_by"])
    s.crisis.close_reason = str(p["reason"])
    s.crisis.opened_by_mistake = bool(p.get("opened_by_mistake", False))


# --- the CIP ---------------------------------------------------------------------------------


def _cip_ordered(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    s.cip = {
        "crisis_id": s.crisis_id,
        "numero_unique": str(p["numero_unique"]),
        "ordered_at": _instant(p["ordered_at"]).isoformat(),
        "ordered_by": str(p["ordered_by"]),
        "operational_at": None,
        "deactivated_at": None,
        "deactivated_by": None,
        "deactivation_reason": None,
    }


def _cip_operational(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.cip is not None and s.cip["operational_at"] is None:
        s.cip["operational_at"] = _instant(p["declared_at"]).isoformat()


def _cip_deactivated(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    if s.cip is not None:
        s.cip.update(
            deactivated_at=_instant(p["deactivated_at"]).isoformat(),
            deactivated_by=str(p["deactivated_by"]),
            deactivation_reason=str(p["reason"]),
        )


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
            ack_due_at=_instant(p["ack_due_at"]),
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
        page.acknowledged_at = _instant(p["acknowledged_at"])
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
        callout.quorum_reached_at = _instant(p["reached_at"])


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
        down_since=_instant(p["failing_since"]),
        failures=int(p.get("failures", 0)),
    )


def _channel_restored(s: SituationFold, e: JournalEntry, p: dict[str, Any]) -> None:
    outage = s.outages.get(str(p["channel"]))
    if outage is not None:
        outage.restored_at = _instant(p["restored_at"])


_APPLIERS = {
    "event.CrisisOpened": _opened,
    "event.CodActivated": _activated,
    "event.ClockStarted": _clock_started,
    "event.ClockMet": _clock_met,
    "event.ClockCorrected": _clock_corrected,
    "event.ClockWarning": _warned,
    "event.ClockBreached": _breached,
    "event.CrisisClosed": _closed,
    "event.CipOrdered": _cip_ordered,
    "event.CipDeclaredOperational": _cip_operational,
    "event.CipDeactivated": _cip_deactivated,
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


def annotation(entry: JournalEntry) -> Annotation:
    p = entry.payload
    return Annotation(
        annotation_id=str(p["annotation_id"]),
        at=_instant(p["at"]),
        text=str(p["text"]),
        action_id=p.get("action_id"),
        written_by=str(p["written_by"]),
        written_at=entry.at,
        seq=entry.seq,
    )
