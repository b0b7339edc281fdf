"""The approvers' escalation delays against an audience clock's deadline: the last approver is
called no later than 15 minutes before it, the delays never exceed the base delay, and a
deadline already near calls everyone at once."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from crisis.domain.approval_calls import (
    LAST_WAIT_FLOOR,
    audience_deadline,
    call_instants,
    last_call_instant,
    next_delay,
)
from crisis.domain.clocks import DEFAULT_POLICY
from crisis.domain.crisis import Crisis
from crisis.domain.vocabulary import Audience, ClockName, CrisisKind

BASE = timedelta(minutes=10)
MARGIN = timedelta(minutes=15)
COD = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 3 h 00 in Paris


def _crisis() -> Crisis:
    crisis = Crisis.open(
        crisis_id="c1",
        title="Crue",
        kind=CrisisKind.INONDATION,
        communes=("Corbeil-Essonnes",),
        reported_at=COD,
        exercise=False,
        by="cadre",
        now=COD,
    )
    crisis.activate_cod(
        decided_at=COD,
        decided_by="préfet",
        synergi_ref="SYN-1",
        synergi_pattern=r".*\S.*",
        recorded_by="cadre",
        now=COD,
        policy=DEFAULT_POLICY,
    )
    return crisis


def test_the_deadline_is_the_nearest_running_clock_of_the_audiences() -> None:
    crisis = _crisis()
    elus = crisis.clocks[ClockName.ELUS].deadline
    assert elus == COD + timedelta(hours=1)
    assert audience_deadline(crisis, [Audience.ELUS, Audience.PUBLIC]) == elus
    assert audience_deadline(crisis, []) is None


def test_without_a_deadline_each_approver_has_the_base_delay() -> None:
    start = COD + timedelta(minutes=20)
    instants = call_instants(start, approvers=3, deadline=None, base=BASE, margin=MARGIN)
    assert instants == [start + BASE * i for i in range(4)]


def test_far_from_the_deadline_the_base_delay_holds() -> None:
    deadline = COD + timedelta(hours=1)
    start = COD + timedelta(minutes=1)  # last call at 3 h 45 at the latest; 2 steps of 10 fit
    instants = call_instants(start, approvers=3, deadline=deadline, base=BASE, margin=MARGIN)
    assert instants[:3] == [start, start + BASE, start + 2 * BASE]


def test_the_delays_shorten_so_that_the_last_approver_is_called_15_minutes_before() -> None:
    deadline = COD + timedelta(hours=1)  # 4 h 00 in Paris
    start = COD + timedelta(minutes=30)  # 3 h 30: 15 minutes left before the last call
    instants = call_instants(start, approvers=3, deadline=deadline, base=BASE, margin=MARGIN)
    # 3 h 30, 3 h 37 min 30 s, 3 h 45: the last call exactly at deadline − 15 min.
    assert instants[1] - instants[0] == timedelta(minutes=7, seconds=30)
    assert instants[2] == deadline - MARGIN
    # After the last approver: the base delay, up to the deadline (10 min here).
    assert instants[3] == instants[2] + BASE


@pytest.mark.parametrize("approvers", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("minutes_after_cod", [0, 7, 20, 33, 44, 45, 50, 59, 61, 90])
def test_the_last_call_is_never_later_than_the_margin_before_the_deadline(
    approvers: int, minutes_after_cod: int
) -> None:
    deadline = COD + timedelta(hours=1)
    start = COD + timedelta(minutes=minutes_after_cod)
    instants = call_instants(
        start, approvers=approvers, deadline=deadline, base=BASE, margin=MARGIN
    )
    last_call = instants[approvers - 1]
    assert last_call <= max(start, deadline - MARGIN)
    steps = [b - a for a, b in itertools.pairwise(instants)]
    assert all(timedelta(0) <= step <= BASE for step in steps)
    # The pass ends no earlier than LAST_WAIT_FLOOR after the last call, and no later than BASE.
    assert min(BASE, LAST_WAIT_FLOOR) <= instants[-1] - last_call <= BASE


def test_past_the_last_call_instant_everyone_left_is_called_at_once() -> None:
    deadline = COD + timedelta(hours=1)
    now = deadline - timedelta(minutes=10)
    assert next_delay(now, remaining=2, deadline=deadline, base=BASE, margin=MARGIN) == (
        timedelta(0)
    )
    # The last approver of the pass still gets some time before the duty officer's alert.
    assert next_delay(now, remaining=0, deadline=deadline, base=BASE, margin=MARGIN) == BASE
    late = deadline + timedelta(minutes=3)
    assert next_delay(late, remaining=0, deadline=deadline, base=BASE, margin=MARGIN) == (
        LAST_WAIT_FLOOR
    )
    assert last_call_instant(deadline, MARGIN) == deadline - MARGIN
    assert last_call_instant(None, MARGIN) is None


def test_a_negative_count_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="remaining"):
        next_delay(COD, remaining=-1, deadline=None, base=BASE, margin=MARGIN)
