"""The pacer's bound, on a simulated clock: never more than the rate in any second.

A greedy sender starts a send as soon as a token is free, waking up late by a random few
milliseconds each time and, now and then, after a long stall. Each send reaches the provider
at some instant between its start and its answer, which comes back after a random latency;
a stall can also fall between the start of a send and the moment it is written, so that it
arrives long after it started. Whatever the rate, no window of one second holds more
arrivals than the rate; a caller waking up late does not lose throughput.
"""

from __future__ import annotations

import asyncio
import heapq
import random
from dataclasses import dataclass

import pytest

from channels.pacing import KeyedBuckets, TokenBucket
from tests.integration.delivery.test_pacing import max_in_any_second


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Run:
    starts: list[float]
    arrivals: list[float]

    def achieved(self) -> float:
        return (len(self.starts) - 1) / (self.starts[-1] - self.starts[0])


def greedy_sends(
    rate: float,
    *,
    count: int,
    lateness: float,
    latency: tuple[float, float] = (0.001, 0.03),
    concurrency: int = 1_000,
    stall_every: int = 0,
    seed: int = 7,
) -> Run:
    clock = SimulatedTime()
    bucket = TokenBucket(rate, time=clock)
    rng = random.Random(seed)
    answers: list[float] = []  # when the sends in flight get their answer (a heap)
    run = Run(starts=[], arrivals=[])

    def answer_due_before(instant: float) -> bool:
        return bool(answers) and answers[0] <= instant

    for number in range(count):
        while True:
            wait = bucket.delay()
            if len(answers) < concurrency and wait == 0:
                break
            if answers and (len(answers) >= concurrency or answer_due_before(clock.now + wait)):
                clock.now = max(clock.now, heapq.heappop(answers))
                bucket.finished()
            else:
                clock.now += wait
        clock.now += rng.uniform(0, lateness)
        assert bucket.delay() == 0
        bucket.take()
        run.starts.append(clock.now)
        written = clock.now
        if stall_every and number % stall_every == stall_every - 1:
            written += 0.7  # the event loop was blocked before the request was written
        answered = written + rng.uniform(*latency)
        run.arrivals.append(rng.uniform(written, answered))
        heapq.heappush(answers, answered)
    return run


@pytest.mark.parametrize("rate", [0.5, 1.0, 5.0, 25.0, 50.0, 333.0, 1000.0])
@pytest.mark.parametrize("lateness", [0.0, 0.002, 0.05])
def test_no_second_holds_more_arrivals_than_the_rate(rate: float, lateness: float) -> None:
    run = greedy_sends(rate, count=int(rate * 20) + 5, lateness=lateness, stall_every=37)
    assert max_in_any_second(run.arrivals) <= max(1, rate)


@pytest.mark.parametrize(
    ("rate", "lateness"),
    # Each send of this one sender is late: a quarter of the interval at most.
    [(5.0, 0.004), (5.0, 0.03), (25.0, 0.004), (25.0, 0.01), (50.0, 0.004), (100.0, 0.002)],
)
def test_a_caller_waking_up_late_loses_no_throughput(rate: float, lateness: float) -> None:
    run = greedy_sends(rate, count=int(rate * 20), lateness=lateness, latency=(0.001, 0.005))
    assert run.achieved() >= 0.97 * rate


def test_slow_answers_hold_the_sends_back() -> None:
    # Answers that take two seconds: a send in flight may arrive at any moment until then.
    run = greedy_sends(10.0, count=100, lateness=0.0, latency=(1.9, 2.0))
    assert max_in_any_second(run.arrivals) <= 10
    assert run.achieved() < 5.0


def test_sends_are_spread_over_the_second_not_released_at_once() -> None:
    run = greedy_sends(50.0, count=500, lateness=0.0, latency=(0.001, 0.002))
    gaps = [b - a for a, b in zip(run.starts, run.starts[1:], strict=False)]
    # The catch-up tolerance lets a few go together; never a second's worth.
    together = max(sum(1 for _ in group) for group in _runs_of_zero(gaps))
    assert together <= 6


def _runs_of_zero(gaps: list[float]) -> list[list[float]]:
    groups: list[list[float]] = [[]]
    for gap in gaps:
        if gap < 1e-9:
            groups[-1].append(gap)
        else:
            groups.append([])
    return groups


def test_a_pause_holds_every_send_until_it_ends() -> None:
    clock = SimulatedTime()
    bucket = TokenBucket(10.0, time=clock)
    bucket.take()
    bucket.finished()
    bucket.pause(3.0)
    assert bucket.delay() == pytest.approx(3.0)
    clock.now += 3.0
    assert bucket.delay() == 0


def test_a_send_in_flight_counts_until_it_is_over() -> None:
    clock = SimulatedTime()
    bucket = TokenBucket(1.0, time=clock)
    bucket.take()
    clock.now += 5.0  # no answer yet: it may still arrive now
    assert bucket.delay() > 0
    bucket.finished()
    assert bucket.delay() > 0.99
    clock.now += 1.01
    assert bucket.delay() == 0


def test_a_newcomer_queues_behind_a_waiting_caller_even_when_the_token_is_free() -> None:
    """A free token with nobody waiting is taken at once, without a wait; but while a caller
    queues, a newcomer queues behind it, even at an instant when the token is free and the
    waiting caller has not woken up yet."""
    served: list[str] = []

    async def caller(bucket: TokenBucket, name: str) -> None:
        await bucket.acquire()
        served.append(name)
        bucket.finished()

    async def run() -> None:
        clock = SimulatedTime()
        bucket = TokenBucket(1.0, time=clock)
        await caller(bucket, "premier")  # free: taken without waiting
        second = asyncio.create_task(caller(bucket, "deuxième"))
        await asyncio.sleep(0)  # it queues: the next token is a second away
        clock.now += 2.0  # the token is free, the queued caller still asleep
        third = asyncio.create_task(caller(bucket, "troisième"))
        await asyncio.sleep(0)
        assert served == ["premier"]  # the newcomer took nothing
        await second
        clock.now += 2.0
        await third

    asyncio.run(run())
    assert served == ["premier", "deuxième", "troisième"]


def test_a_free_token_is_taken_without_yielding_to_the_event_loop() -> None:
    async def run() -> bool:
        bucket, chat = TokenBucket(100.0), TokenBucket(1.0)
        acquiring = chat.acquire(then=bucket)
        try:
            acquiring.send(None)  # runs to the end without suspending
        except StopIteration:
            return bucket.in_flight == 1 and chat.in_flight == 1
        acquiring.close()
        return False

    assert asyncio.run(run())


def test_a_chat_s_bucket_is_forgotten_once_idle_so_memory_follows_the_chats_in_flight() -> None:
    clock = SimulatedTime()
    chats = KeyedBuckets(1.0, time=clock)

    def send_to(first: int, count: int) -> None:
        for number in range(first, first + count):
            chat = chats.bucket(f"chat-{number}")
            assert chat.delay() == 0
            chat.take()
            chat.finished()

    send_to(0, 100)
    assert len(chats) == 100  # each one's next token is a second away: all kept
    clock.now += 2.0
    send_to(100, 100)
    assert len(chats) == 100  # the first hundred were idle: dropped as the new ones came
    busy = chats.bucket("chat-150")
    assert busy.delay() > 0  # a chat still in its second keeps its bucket, and its limit
