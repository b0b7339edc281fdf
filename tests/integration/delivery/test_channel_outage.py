"""A Telegram outage with the fakes, time moved by hand: one « en panne » alert, one
« rétabli », the SMS fallback at once for those with a mobile, nothing lost or given up early;
when deliveries finally fail, one alert per crisis and channel with the count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig, DispatcherSettings, RetrySettings
from crisis.domain.vocabulary import Audience
from crisis.settings import Settings
from crisis.store.tables import deliveries
from tests.integration.delivery.conftest import Fakes, add_people, delivery_config, open_active
from tests.integration.delivery.test_broadcast import dispatch, send

OFFICER_MAIL = ("permanence@prefecture.gouv.fr",)


def _service(
    engine: Engine, clock: ManualClock, settings: Settings, fakes: Fakes, **retry: Any
) -> Service:
    dispatcher = DispatcherSettings(
        idle_seconds=0.05,
        retry=RetrySettings(base_seconds=1, max_delay_seconds=20, **retry),
    )
    config: DeliveryConfig = delivery_config(fakes, dispatcher=dispatcher)
    return bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=config,
        scheduler_mode=SchedulerMode.NONE,
    )


def _subjects(fakes: Fakes) -> list[str]:
    return [str(m.message["Subject"]) for m in fakes.smtp.mails if m.rcpt_tos == OFFICER_MAIL]


def _events(service: Service, crisis_id: str, kind: str) -> list[dict[str, Any]]:
    with service.bus.unit_of_work() as uow:
        return [e.payload for e in uow.journal.entries(crisis_id) if e.kind == f"event.{kind}"]


def _statuses(engine: Engine, message_id: str) -> list[str]:
    with engine.connect() as connection:
        query = select(deliveries.c.status).where(
            deliveries.c.message_id == message_id, deliveries.c.channel == "telegram_dm"
        )
        return sorted(connection.execute(query).scalars())


def _three_minutes_of_telegram_outage(
    service: Service, clock: ManualClock, fakes: Fakes
) -> tuple[str, str]:
    """A message to the élus and the media on Telegram, which fails for three minutes."""
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    fakes.telegram.fail_next(100_000, status=500)
    message_id = send(
        service, crisis_id, audiences=(Audience.ELUS, Audience.MEDIA), channels=("telegram_dm",)
    )
    start = clock.now()
    while clock.now() < start + timedelta(minutes=3):
        dispatch(service)
        clock.advance(timedelta(seconds=20))
    return crisis_id, message_id


def test_three_minute_telegram_outage_one_alert_down_one_back_fallback_nothing_lost(
    engine: Engine, clock: ManualClock, settings: Settings, fakes: Fakes
) -> None:
    service = _service(engine, clock, settings, fakes, give_up_after_minutes=120)
    crisis_id, message_id = _three_minutes_of_telegram_outage(service, clock, fakes)
    subjects = _subjects(fakes)
    assert [s for s in subjects if "en panne" in s] == [
        "EXERCICE EXERCICE EXERCICE – Canal Telegram (message personnel) en panne"
    ]
    assert not any("rétabli" in s or "échec définitif" in s for s in subjects)
    # The mayor of Corbeil has a mobile: the SMS fallback went out during the outage.
    assert [m.to for m in fakes.sms.messages] == ["+33611223344"]
    assert _statuses(engine, message_id) == ["pending", "pending"]
    (down,) = _events(service, crisis_id, "ChannelDown")
    assert down["channel"] == "telegram_dm" and down["waiting"] == 2 and down["fallbacks"] == 1

    fakes.telegram.clear_faults()
    clock.advance(timedelta(seconds=30))
    dispatch(service)
    dispatch(service)
    assert _statuses(engine, message_id) == ["accepted", "accepted"]  # nothing lost
    subjects = _subjects(fakes)
    assert len([s for s in subjects if "en panne" in s]) == 1
    assert len([s for s in subjects if "rétabli" in s]) == 1
    assert len(_events(service, crisis_id, "ChannelRestored")) == 1
    assert _events(service, crisis_id, "DeliveryFailed") == []
    # The cabinet, on Telegram, hears that it is back.
    assert any("rétabli" in m.text for m in fakes.telegram.messages["9001"])


def test_final_failures_give_one_alert_per_crisis_and_channel_with_the_count(
    engine: Engine, clock: ManualClock, settings: Settings, fakes: Fakes
) -> None:
    service = _service(engine, clock, settings, fakes, give_up_after_minutes=5)
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    fakes.telegram.fail_next(100_000, status=500)
    message_id = send(
        service, crisis_id, audiences=(Audience.ELUS, Audience.MEDIA), channels=("telegram_dm",)
    )
    start = clock.now()
    while clock.now() < start + timedelta(minutes=4, seconds=50):
        dispatch(service)
        clock.advance(timedelta(seconds=20))
    # Still retrying after many attempts: only time ends the retries.
    assert _statuses(engine, message_id) == ["pending", "pending"]
    clock.set(start + timedelta(minutes=6))
    dispatch(service)
    assert _statuses(engine, message_id) == ["failed", "failed"]
    gave_up = [s for s in _subjects(fakes) if "échec définitif" in s]
    assert gave_up == [
        "EXERCICE EXERCICE EXERCICE – 2 diffusion(s) en échec définitif : Telegram (message personnel)"
    ]
    (event,) = _events(service, crisis_id, "DeliveriesGaveUp")
    assert event["count"] == 2
    assert len(_events(service, crisis_id, "DeliveryFailed")) == 2


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(data_dir=tmp_path, approval_audiences=[])


def _next_attempts(engine: Engine, message_id: str) -> list[Any]:
    with engine.connect() as connection:
        query = select(deliveries.c.next_attempt_at).where(
            deliveries.c.message_id == message_id,
            deliveries.c.channel == "telegram_dm",
            deliveries.c.status == "pending",
        )
        return sorted(connection.execute(query).scalars())


def test_deliveries_held_by_their_backoff_leave_as_soon_as_the_channel_is_back(
    engine: Engine, clock: ManualClock, settings: Settings, fakes: Fakes
) -> None:
    service = _service(engine, clock, settings, fakes, give_up_after_minutes=120)
    crisis_id, message_id = _three_minutes_of_telegram_outage(service, clock, fakes)
    assert len(_events(service, crisis_id, "ChannelDown")) == 1
    # One delivery waits out a backoff of five minutes (the longest a policy may set).
    first, second = _next_attempts(engine, message_id)
    with engine.begin() as connection:
        held = connection.execute(
            deliveries.update()
            .where(
                deliveries.c.message_id == message_id,
                deliveries.c.channel == "telegram_dm",
                deliveries.c.next_attempt_at == second,
            )
            .values(next_attempt_at=first + timedelta(minutes=5))
        )
        assert held.rowcount == 1
    fakes.telegram.clear_faults()
    clock.set(max(first, clock.now()))
    dispatch(service)  # the first one is accepted: « rétabli », and the other is due now
    assert len(_events(service, crisis_id, "ChannelRestored")) == 1
    dispatch(service)  # at the same instant: no waiting out the rest of its backoff
    assert _statuses(engine, message_id) == ["accepted", "accepted"]
