"""An approver who took a message on (« Je m'en occupe », « 1 ») and decides nothing: the calls
resume at the instant the escalation's own delay gives, counted from the acknowledgement, so
that the last approver is still called no later than 15 minutes before the clock's deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisis.domain.approval_calls import call_instants, resume_instant

BASE = timedelta(minutes=10)
MARGIN = timedelta(minutes=15)
COD = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 3 h 00 in Paris
DEADLINE = COD + timedelta(hours=1)  # the élus' clock: 4 h 00


def _resume(at: datetime, remaining: int, due: datetime | None = None) -> datetime:
    return resume_instant(
        at, remaining=remaining, due=due, deadline=DEADLINE, base=BASE, margin=MARGIN
    )


def test_far_from_the_deadline_the_approver_has_the_base_delay_from_the_acknowledgement() -> None:
    taken = COD + timedelta(minutes=3, seconds=20)
    assert _resume(taken, remaining=2, due=COD + timedelta(minutes=10)) == taken + BASE


def test_near_the_deadline_the_delay_shortens_to_keep_the_last_call_instant() -> None:
    # 3 approvers, called from 3 h 30: the préfète at 3 h 30 takes it on at 3 h 31.
    taken = COD + timedelta(minutes=31)
    resumed = _resume(taken, remaining=2, due=COD + timedelta(minutes=37, seconds=30))
    assert resumed == COD + timedelta(minutes=38)  # (3 h 45 − 3 h 31) / 2 = 7 min
    # Then the two left are called as the escalation would, the last one at 3 h 45 at the latest.
    rest = call_instants(resumed, approvers=2, deadline=DEADLINE, base=BASE, margin=MARGIN)
    assert rest[1] == DEADLINE - MARGIN
    # The second approver takes it on at 3 h 40: resumption at 3 h 45, the last call instant.
    assert _resume(COD + timedelta(minutes=40), remaining=1) == DEADLINE - MARGIN


@pytest.mark.parametrize("remaining", [1, 2, 4])
@pytest.mark.parametrize("minutes", [0, 12, 30, 40, 44, 45, 50, 70])
def test_with_approvers_left_the_calls_never_resume_after_the_last_call_instant(
    remaining: int, minutes: int
) -> None:
    taken = COD + timedelta(minutes=minutes)
    resumed = _resume(taken, remaining=remaining)
    assert taken <= resumed <= max(taken, DEADLINE - MARGIN)
    assert resumed - taken <= BASE


def test_past_the_last_call_instant_the_calls_resume_at_once_with_approvers_left() -> None:
    taken = DEADLINE - timedelta(minutes=10)
    assert _resume(taken, remaining=1) == taken


def test_the_last_approver_of_a_pass_keeps_the_end_of_pass_delay() -> None:
    # Nobody left to call in the pass: up to the base delay, never past the deadline, but at
    # least LAST_WAIT_FLOOR (5 min) before the duty officer is alerted.
    assert _resume(COD + timedelta(minutes=52), remaining=0) == DEADLINE
    assert _resume(COD + timedelta(minutes=58), remaining=0) == COD + timedelta(minutes=63)
    assert _resume(COD + timedelta(minutes=20), remaining=0) == COD + timedelta(minutes=30)


def test_taking_it_on_never_brings_the_next_call_forward() -> None:
    # The escalation's delay from 3 h 35 ends at 3 h 45; a step already due later stays.
    due = COD + timedelta(minutes=50)
    assert _resume(COD + timedelta(minutes=35), remaining=1, due=due) == due
    assert _resume(COD + timedelta(minutes=35), remaining=1, due=due - BASE) == DEADLINE - MARGIN
    without_deadline = resume_instant(
        COD, remaining=1, due=None, deadline=None, base=BASE, margin=MARGIN
    )
    assert without_deadline == COD + BASE
