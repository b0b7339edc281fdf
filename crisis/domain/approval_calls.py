"""Calling the approvers of a submitted message: the escalation's timing, its commands and
events. Pure model: no framework. Instants are timezone-aware UTC.

The policy, as PagerDuty's escalation policies: the approvers are called one after the other
in the order the administrator set; each is given a delay to answer (a decision, or an
acknowledgement: « 1 » on the phone, « Je m'en occupe » on the page), then the next one is
called. The delay shortens as the audience clock nears its deadline, so that the last approver
is called no later than `margin` before it:

    last call instant  L = deadline − margin
    delay before the next approver, r approvers still to call in this pass:
        d = clamp(min(base, (L − now) / r), 0, base)     (0 once L is past: called at once)
    delay after the last approver of a pass:
        d = base without a deadline, else min(base, max(deadline − now, LAST_WAIT_FLOOR))

When a pass ends without a decision the duty officer is alerted, and the next pass calls the
list again from the first approver (`passes` in all); then the calls stop.

An acknowledgement suspends the calls, it does not end them (PagerDuty's acknowledgement
timeout): the approver who took the message on is given the delay the same formula gives at the
instant of the acknowledgement, for the step the calls are at; without a decision by then the
calls resume with the next approver. So the last call instant L still holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crisis.domain.commands import Command
from crisis.domain.crisis import Crisis
from crisis.domain.events import Event
from crisis.domain.vocabulary import AUDIENCE_CLOCK, Audience

# The last approver of a pass is given at least this long before the duty officer is alerted
# (and the next pass begins), even past the deadline: calling everyone twice within seconds
# wakes no one more.
LAST_WAIT_FLOOR = timedelta(minutes=5)


def audience_deadline(crisis: Crisis, audiences: Iterable[Audience]) -> datetime | None:
    """The nearest deadline among the running clocks of a message's audiences."""
    deadlines = [
        clock.deadline
        for audience in audiences
        if (clock := crisis.clocks.get(AUDIENCE_CLOCK[audience])) is not None
        and clock.met_at is None
    ]
    return min(deadlines, default=None)


def last_call_instant(deadline: datetime | None, margin: timedelta) -> datetime | None:
    """When the last approver must have been called at the latest (None: no clock runs)."""
    return None if deadline is None else deadline - margin


def next_delay(
    now: datetime,
    *,
    remaining: int,
    deadline: datetime | None,
    base: timedelta,
    margin: timedelta,
) -> timedelta:
    """How long the approver just called has before the next step: the next approver
    (`remaining` still to call in this pass), or the end of the pass (`remaining` 0)."""
    if remaining < 0:
        raise ValueError("remaining must be ≥ 0")
    if deadline is None:
        return base
    if remaining == 0:
        return min(base, max(deadline - now, LAST_WAIT_FLOOR))
    last = deadline - margin
    share = (last - now) / remaining
    whole = timedelta(seconds=int(share.total_seconds()))  # whole seconds, rounded down
    return max(timedelta(0), min(base, whole))


def call_instants(
    start: datetime,
    *,
    approvers: int,
    deadline: datetime | None,
    base: timedelta,
    margin: timedelta,
) -> list[datetime]:
    """When each approver of one pass is called if nobody answers, then the pass's end."""
    instants = [start]
    now = start
    for position in range(approvers):
        now = now + next_delay(
            now,
            remaining=approvers - 1 - position,
            deadline=deadline,
            base=base,
            margin=margin,
        )
        instants.append(now)
    return instants


def resume_instant(
    acknowledged_at: datetime,
    *,
    remaining: int,
    due: datetime | None,
    deadline: datetime | None,
    base: timedelta,
    margin: timedelta,
) -> datetime:
    """When the calls resume if the approver who took the message on at `acknowledged_at`
    decides nothing: the escalation's delay at that instant (`remaining` approvers still to call
    in this pass), never before the step already `due`."""
    delay = next_delay(
        acknowledged_at, remaining=remaining, deadline=deadline, base=base, margin=margin
    )
    return max(acknowledged_at + delay, due or acknowledged_at)


# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApproverInput:
    """One approver in the order: a user with the approval right, and the member of the
    on-call roster whose addresses reach them (None: the member of the same name)."""

    user: str
    member: str | None = None


@dataclass(frozen=True, slots=True)
class SetApprovers(Command):
    """The whole order of the approvers, first called first; an empty list: nobody called."""

    approvers: tuple[ApproverInput, ...]


@dataclass(frozen=True, slots=True)
class AcknowledgeApprovalPage(Command):
    """« Je m'en occupe »: the approver called (signed in) suspends the calls until the
    escalation's delay runs out (`resume_instant`); approving or rejecting is still theirs."""

    page_id: str
    via: str = "console"


# -- events (journalled on the crisis stream) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class ApprovalCallStarted(Event):
    call_id: str
    draft_id: str
    approvers: tuple[str, ...]  # user names, in the order they will be called
    deadline: datetime | None
    last_call_at: datetime | None  # deadline − margin


@dataclass(frozen=True, slots=True)
class ApproverPaged(Event):
    call_id: str
    draft_id: str
    page_id: str
    message_id: str | None
    step: int  # 0, 1, … across passes
    approver: str
    channels: tuple[str, ...]
    next_due_at: datetime  # when the next approver is called (or the pass ends)


@dataclass(frozen=True, slots=True)
class ApprovalPageAcknowledged(Event):
    call_id: str
    draft_id: str
    page_id: str
    approver: str
    via: str
    resume_at: datetime | None = None  # the calls resume then without a decision


@dataclass(frozen=True, slots=True)
class ApprovalPageDeclined(Event):
    """« 2 » on the phone: the approver cannot; the next one is called at once."""

    call_id: str
    draft_id: str
    page_id: str
    approver: str


@dataclass(frozen=True, slots=True)
class ApprovalCallResumed(Event):
    """« Pris en charge sans décision : appels repris »: the approver who took the message on
    decided nothing in time; the next approver is called (or, the list exhausted, the calls
    stop) and the duty officer is alerted."""

    call_id: str
    draft_id: str
    page_id: str  # the acknowledged page
    approver: str
    acknowledged_at: datetime
    final: bool  # the list is exhausted: nobody more is called


@dataclass(frozen=True, slots=True)
class ApprovalCallOfficerAlerted(Event):
    call_id: str
    draft_id: str
    passes: int  # passes over the list done without a decision
    paged: int  # approvers really reached through a channel
    final: bool  # no further pass: the calls stop


@dataclass(frozen=True, slots=True)
class ApprovalCallStopped(Event):
    call_id: str
    draft_id: str
    reason: str  # approved, rejected, exhausted, closed (acknowledged: before resumption)
    by: str | None
    calls: dict[str, int]  # the phone calls of the whole call, by outcome (aggregate)
