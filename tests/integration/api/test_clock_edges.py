"""Frozen-time scenarios at the edges of the calendar: the October night the clocks go back,
and New Year's Eve. Deadlines are absolute instants: sixty real minutes, whatever the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import Engine

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, bootstrap
from crisis.domain.commands import AddUser
from crisis.french import long_datetime
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from tests.integration.api.conftest import auth


def activate_at(engine: Engine, settings: Settings, now: str, decided_at: str) -> dict[str, object]:
    with freeze_time(now):
        service = bootstrap(settings=settings, engine=engine, scheduler_mode=SchedulerMode.NONE)
        token = service.bus.handle(AddUser(name="cadre", role="duty_officer"), actor=SYSTEM_ACTOR)[
            "token"
        ]
        client = TestClient(create_app(service))
        response = client.post(
            "/api/v1/crises",
            json={
                "title": "Tempête",
                "kind": "tempete",
                "cod_activation": {
                    "decided_at": decided_at,
                    "decided_by": "préfet",
                    "synergi_ref": "S",
                },
            },
            headers=auth(token),
        )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def deadlines(body: dict[str, object]) -> set[str]:
    clocks = body["clocks"]
    assert isinstance(clocks, list)
    return {c["deadline"] for c in clocks}


def test_decision_at_0230_summer_time_on_the_night_clocks_go_back(
    engine: Engine, settings: Settings
) -> None:
    # 02:30 CEST (first pass) is 00:30 UTC; an hour later the wall clock shows 02:30 again (CET).
    body = activate_at(engine, settings, "2026-10-25T00:45:00Z", "2026-10-25T02:30:00+02:00")
    assert body["cod_activated_at"] == "2026-10-25T00:30:00+00:00"
    assert deadlines(body) == {"2026-10-25T01:30:00+00:00"}
    deadline = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert long_datetime(deadline) == "dimanche 25 octobre 2026 à 2 h 30"


def test_decision_at_0230_winter_time_on_the_night_clocks_go_back(
    engine: Engine, settings: Settings
) -> None:
    body = activate_at(engine, settings, "2026-10-25T01:40:00Z", "2026-10-25T02:30:00+01:00")
    assert body["cod_activated_at"] == "2026-10-25T01:30:00+00:00"
    assert deadlines(body) == {"2026-10-25T02:30:00+00:00"}
    assert (
        long_datetime(datetime(2026, 10, 25, 2, 30, tzinfo=UTC))
        == "dimanche 25 octobre 2026 à 3 h 30"
    )


def test_decision_at_2330_on_new_years_eve(engine: Engine, settings: Settings) -> None:
    body = activate_at(engine, settings, "2026-12-31T22:31:00Z", "2026-12-31T23:30:00+01:00")
    assert deadlines(body) == {"2026-12-31T23:30:00+00:00"}
    assert (
        long_datetime(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
        == "vendredi 1er janvier 2027 à 0 h 30"
    )


def test_decision_in_the_future_by_a_minute_is_refused(engine: Engine, settings: Settings) -> None:
    with freeze_time("2026-12-31T22:29:00Z"):
        service = bootstrap(settings=settings, engine=engine, scheduler_mode=SchedulerMode.NONE)
        token = service.bus.handle(AddUser(name="cadre", role="duty_officer"), actor=SYSTEM_ACTOR)[
            "token"
        ]
        response = TestClient(create_app(service)).post(
            "/api/v1/crises",
            json={
                "title": "Tempête",
                "kind": "tempete",
                "cod_activation": {
                    "decided_at": "2026-12-31T23:30:00+01:00",
                    "decided_by": "p",
                    "synergi_ref": "S",
                },
            },
            headers=auth(token),
        )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "decided_at"
