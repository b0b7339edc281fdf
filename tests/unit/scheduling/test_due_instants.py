"""An approver called (or one who took the message on) tells the scheduler when the next step
falls due: a job of the call-out's kind (CheckCallouts moves the approvers' calls on too)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from crisis.domain.approval_calls import ApprovalPageAcknowledged, ApproverPaged
from crisis.scheduling.announce import DueInstant, due_instants

NEXT = datetime(2026, 12, 7, 2, 40, tzinfo=UTC)


def test_an_approver_paged_is_a_callout_due_instant_at_the_next_step() -> None:
    paged = ApproverPaged(
        crisis_id="c1",
        call_id="a1",
        draft_id="d1",
        page_id="p1",
        message_id="m1",
        step=0,
        approver="Préfète",
        channels=("sms",),
        next_due_at=NEXT,
    )
    assert due_instants([paged, paged]) == [DueInstant("callout", "c1", NEXT)]
    assert DueInstant.parse(DueInstant("callout", "c1", NEXT).payload()).due == NEXT


def test_an_approver_taking_a_message_on_announces_when_the_calls_resume() -> None:
    taken = ApprovalPageAcknowledged(
        crisis_id="c1",
        call_id="a1",
        draft_id="d1",
        page_id="p1",
        approver="Préfète",
        via="console_membre",
        resume_at=NEXT,
    )
    assert due_instants([taken]) == [DueInstant("callout", "c1", NEXT)]
    # An acknowledgement journalled before resumptions existed announces nothing.
    assert due_instants([replace(taken, resume_at=None)]) == []
