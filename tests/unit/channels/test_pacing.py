"""The token bucket's bound, on a simulated clock: never more than the rate in any second.

A greedy sender takes a token as soon as one is free, waking up late by a random few
milliseconds each time and, now and then, after a long stall. Whatever the rate, no window
of one second holds more sends than the rate; a wake-up late by less than the tolerance
costs no throughput.
"""

from __future__ import annotations

import random

import pytest

from channels.pacing import TokenBucket
from tests.integration.delivery.test_pacing import max_in_any_second


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def greedy_sends(
    rate: float, *, count: int, lateness: float, stall_every: int = 0, seed: int = 7
) -> list[float]:
    clock = SimulatedTime()
    bucket = TokenBucket(rate, time=clock)
    rng = random.Random(seed)
    sent: list[float] = []
    for number in range(count):
        clock.now += bucket.delay() + rng.uniform(0, lateness)
        if stall_every and number % stall_every == stall_every - 1:
            clock.now += 0.7  # the event loop was blocked
        assert bucket.delay() == 0
        bucket.take()
        sent.append(clock.now)
    return sent


@pytest.mark.parametrize("rate", [1.0, 5.0, 25.0, 50.0, 333.0, 1000.0])
@pytest.mark.parametrize("lateness", [0.0, 0.002, 0.05])
def test_no_second_holds_more_than_the_rate(rate: float, lateness: float) -> None:
    sends = greedy_sends(rate, count=int(rate * 20) + 5, lateness=lateness, stall_every=37)
    assert max_in_any_second(sends) <= rate


@pytest.mark.parametrize("rate", [5.0, 25.0, 50.0, 100.0])
def test_a_wake_up_late_within_the_tolerance_costs_no_throughput(rate: float) -> None:
    sends = greedy_sends(rate, count=int(rate * 20), lateness=0.004)
    achieved = (len(sends) - 1) / (sends[-1] - sends[0])
    assert achieved >= 0.97 * rate


def test_a_pause_holds_every_send_until_it_ends() -> None:
    clock = SimulatedTime()
    bucket = TokenBucket(10.0, time=clock)
    bucket.take()
    bucket.pause(3.0)
    assert bucket.delay() == pytest.approx(3.0)
    clock.now += 3.0
    assert bucket.delay() == 0
