"""Logs, metrics and readiness around a real send: no secret in any DEBUG line, the named
series after a send, the request id, and /readyz answering 503 with its reason."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from crisis.api.app import create_app
from crisis.bootstrap import Service, bootstrap
from crisis.domain.vocabulary import Audience
from crisis.ops.logs import configure_logging
from crisis.settings import Settings
from crisis.store.engine import make_engine
from tests.integration.delivery.conftest import (
    SMS_KEY,
    TELEGRAM_TOKEN,
    Fakes,
    add_people,
    open_active,
)
from tests.integration.delivery.test_broadcast import dispatch, send

SECRETS = (TELEGRAM_TOKEN, SMS_KEY, "x-token", "hook-secret", "metrics-secret")


@pytest.fixture
def debug_lines() -> Iterator[io.StringIO]:
    captured = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(level="DEBUG", fmt="json", stream=captured)
    yield captured
    root.removeHandler(handler)
    root.setLevel(level)


def test_no_secret_in_any_debug_line_of_a_full_send(
    service: Service, fakes: Fakes, debug_lines: io.StringIO
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    send(service, crisis_id)
    assert dispatch(service) == 12
    lines = debug_lines.getvalue().splitlines()
    assert len(lines) > 20  # the libraries' DEBUG lines are there
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)
        for secret in SECRETS:
            assert secret not in line, record
    # The token is in every Telegram URL: the lines that carry one say *** instead.
    assert any("/bot***" in line for line in lines)
    assert any("Bot API POST sendMessage : HTTP 200" in line for line in lines)


@pytest.fixture
def client(service: Service) -> TestClient:
    service.settings.metrics_token = SecretStr("metrics-secret")
    return TestClient(create_app(service))


def test_metrics_need_the_token_and_show_the_named_series_after_a_send(
    service: Service, fakes: Fakes, client: TestClient
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    send(service, crisis_id, audiences=(Audience.ELUS,), channels=("sms",))
    before = client.get("/metrics", headers={"Authorization": "Bearer metrics-secret"}).text
    assert 'crisis_outbox_due{channel="sms"} 2.0' in before
    dispatch(service)

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = client.get("/metrics", headers={"Authorization": "Bearer metrics-secret"})
    assert answer.status_code == 200
    body = answer.text
    assert 'crisis_deliveries_total{channel="sms",outcome="accepted"} 2.0' in body
    assert 'crisis_outbox_due{channel="sms"} 0.0' in body
    assert 'crisis_clocks{state="running"} 3.0' in body  # the élus clock is met
    assert 'crisis_clocks{state="met"} 1.0' in body
    assert 'crisis_provider_latency_seconds_count{channel="sms"} 2.0' in body
    assert 'crisis_dispatcher_heartbeat_timestamp_seconds{channel="sms"}' in body
    assert 'crisis_http_requests_total{method="GET",route="/metrics",status="401"} 2.0' in body


def test_a_request_id_is_kept_or_made_and_returned(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-42"}).headers["X-Request-ID"] == (
        "abc-42"
    )
    made = client.get("/healthz").headers["X-Request-ID"]
    again = client.get("/healthz").headers["X-Request-ID"]
    # The application's random prefix and a counter: unique, cheaper than uuid4.
    assert re.fullmatch(r"[0-9a-f]{12}-[0-9a-f]+", made)
    assert again != made
    assert again.split("-")[0] == made.split("-")[0]
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert replaced.headers["X-Request-ID"] != "<script>"


def test_the_access_line_carries_the_request_id_and_no_ack_token(
    client: TestClient, debug_lines: io.StringIO
) -> None:
    client.get("/healthz?token=secret-du-lien", headers={"X-Request-ID": "sonde-42"})
    client.get("/ack/jeton-du-lien", headers={"X-Request-ID": "sonde-43"})
    lines = [json.loads(line) for line in debug_lines.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "crisis.http"]
    assert [line.get("request_id") for line in access] == ["sonde-42", "sonde-43"]
    assert access[0]["message"].startswith("GET /healthz → 200")
    assert access[1]["message"].startswith("GET /ack/*** → ")
    assert "jeton-du-lien" not in debug_lines.getvalue()


def test_ready_when_the_database_answers_and_the_schema_is_current(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["ready"] is True
    assert answer.json()["checks"]["database"] == "joignable"


def test_readyz_answers_503_with_the_reason_when_the_database_is_gone(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'absent' / 'crisis.sqlite3'}")
    service = bootstrap(settings=Settings(data_dir=tmp_path), engine=engine)
    client = TestClient(create_app(service))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["ready"] is False
    assert answer.json()["reasons"] == ["base de données injoignable (OperationalError)"]
    assert client.get("/healthz").status_code == 200  # alive, only not ready
    service.close()


def test_readyz_answers_503_when_the_schema_is_behind(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    service = bootstrap(settings=Settings(data_dir=tmp_path), engine=engine)
    answer = TestClient(create_app(service)).get("/readyz")
    assert answer.status_code == 503
    (reason,) = answer.json()["reasons"]
    assert reason.startswith("schéma de la base pas à jour (version aucune, attendue ")
    service.close()
