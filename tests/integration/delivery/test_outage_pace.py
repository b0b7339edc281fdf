"""After a long Telegram outage, the whole backlog leaves when the channel is back, paced.

Forty deliveries wait on Telegram, each out its own backoff (up to the five minutes a policy
may set), when the provider recovers. The first delivery accepted makes the channel
« rétabli »: the others are due at once (the service's clock does not move) and the real
Telegram channel sends them at its declared rate, which the fake, noting when each message
arrives, checks on real time.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from channels.config import ChannelsConfig
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import DispatcherSettings, RetrySettings
from crisis.domain.contact_commands import ContactInput
from crisis.domain.vocabulary import Audience
from crisis.settings import Settings
from tests.integration.delivery.conftest import (
    TELEGRAM_TOKEN,
    Fakes,
    add_people,
    channels_config,
    delivery_config,
    open_active,
)
from tests.integration.delivery.test_broadcast import dispatch, send
from tests.integration.delivery.test_channel_outage import _events, _next_attempts, _statuses
from tests.integration.delivery.test_pacing import TimedTelegram, max_in_any_second

RATE = 10.0  # Telegram's rate for this service, well under its default
WAITING = 40
COMMUNES = ("Corbeil-Essonnes", "Évry-Courcouronnes")
# Thirty élus of the two communes and ten newsrooms, each in their own Telegram chat (a chat
# has its own limit of one message a second: one message each keeps to the channel's rate).
PEOPLE = [
    ContactInput(
        name=f"Élu {number}" if number < 30 else f"Rédaction {number}",
        category="elu" if number < 30 else "media",
        email=f"contact{number}@example.fr",
        telegram_chat_id=str(3_000 + number),
        commune=COMMUNES[number % 2] if number < 30 else None,
        exercise=True,
    )
    for number in range(WAITING)
]
CHATS = {person.telegram_chat_id for person in PEOPLE}


@pytest.fixture
def telegram() -> Iterator[TimedTelegram]:
    """The fake Bot API, noting when each message arrives."""
    with TimedTelegram(token=TELEGRAM_TOKEN) as server:
        yield server


@pytest.fixture
def fakes(fakes: Fakes, telegram: TimedTelegram) -> Fakes:
    return dataclasses.replace(fakes, telegram=telegram)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(data_dir=tmp_path, approval_audiences=[])


def _telegram_at(rate: float, fakes: Fakes, *, production: bool) -> ChannelsConfig:
    config = channels_config(fakes, production=production)
    assert config.telegram is not None
    telegram = config.telegram.model_copy(update={"rate_per_second": rate})
    return config.model_copy(update={"telegram": telegram})


def _service(engine: Engine, clock: ManualClock, settings: Settings, fakes: Fakes) -> Service:
    config = delivery_config(
        fakes,
        production=_telegram_at(RATE, fakes, production=True),
        exercise=_telegram_at(RATE, fakes, production=False),
        dispatcher=DispatcherSettings(idle_seconds=0.05, retry=RetrySettings()),
    )
    return bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=config,
        scheduler_mode=SchedulerMode.NONE,
    )


def test_the_backlog_leaves_within_the_pace_once_the_channel_is_restored(
    engine: Engine, clock: ManualClock, settings: Settings, fakes: Fakes, telegram: TimedTelegram
) -> None:
    service = _service(engine, clock, settings, fakes)
    add_people(service, PEOPLE)
    crisis_id = open_active(service, exercise=True)
    fakes.telegram.fail_next(100_000, status=500)
    message_id = send(
        service, crisis_id, audiences=(Audience.ELUS, Audience.MEDIA), channels=("telegram_dm",)
    )
    # Fifteen minutes of outage, a dispatcher every minute: the backoffs grow to their longest.
    # (No real-time pacing while the clock is moved by hand: only the recovery is paced.)
    rng = random.Random(28)
    for minute in range(16):
        if minute:
            clock.advance(timedelta(minutes=1))
        dispatch(service, pace=False, rng=rng)
    waiting = _next_attempts(engine, message_id)
    assert len(waiting) == WAITING and telegram.arrivals == []
    # The provider recovers as the first delivery is due again; most of the others still
    # have minutes of backoff ahead of them (up to five).
    fakes.telegram.clear_faults()
    back = waiting[0]
    clock.set(back)
    assert waiting[-1] - back > timedelta(minutes=3)
    assert sum(at - back > timedelta(minutes=1) for at in waiting) >= WAITING // 3

    dispatch(service)

    assert len(_events(service, crisis_id, "ChannelRestored")) == 1
    assert _statuses(engine, message_id) == ["accepted"] * WAITING  # the clock has not moved
    arrivals = telegram.arrivals
    backlog = sorted(at for at, chat in arrivals if chat in CHATS)
    assert len(backlog) == WAITING
    # From the first accepted delivery (« rétabli ») to the last of the backlog: the time the
    # rate takes (3.9 s), and a margin for a busy machine; not minutes of backoff.
    assert backlog[-1] - backlog[0] <= (WAITING - 1) / RATE + 2.0
    # Never faster than the rate: the backlog and the « rétabli » alert to the cabinet.
    assert any(chat == "9001" for _, chat in arrivals)
    assert max_in_any_second([at for at, _ in arrivals]) <= RATE
