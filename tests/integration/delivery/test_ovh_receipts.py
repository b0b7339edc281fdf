"""SMS through OVHcloud's API across the whole service: the fake API (tests/fakes/ovh.py) calls
the SMS user's callback URL on the service's own HTTP server (uvicorn on 127.0.0.1), and the
delivery reports are kept per delivery, journalled per message, and an élu not reached gets
the fallback channel, as for SMPP receipts."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine
from typer.testing import CliRunner

from channels.config import ChannelsConfig, EmailConfig, OvhSmsConfig
from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.cli import app
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig, DispatcherSettings, RetrySettings
from crisis.domain.commands import SendMessage
from crisis.domain.messages import ChannelName
from crisis.domain.vocabulary import Audience
from crisis.settings import Settings
from tests.fakes._http import call_back
from tests.fakes.ovh import UNREACHABLE, FakeOvhSms
from tests.fakes.smtp import FakeSmtpServer
from tests.integration.delivery.conftest import CELL, add_people, open_active
from tests.integration.delivery.test_sms_receipts import (
    ELUS,
    deliveries,
    dispatch_until,
    journal,
)
from tests.integration.delivery.test_sms_receipts import receipts_counted as counted

KEYS: dict[str, Any] = {
    "application_key": "ak-pref91",
    "application_secret": "as-pref91",
    "consumer_key": "ck",
}
TOKENS = {"prefecture": "reel-" + "r" * 40, "prefecture-ex": "exercice-" + "e" * 40}


@dataclass
class Live:
    service: Service
    url: str


@pytest.fixture
def ovh() -> Iterator[FakeOvhSms]:
    with FakeOvhSms(**KEYS, service_name="sms-pr91-1", logins=tuple(TOKENS)) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as server:
        yield server


def ovh_config(ovh: FakeOvhSms, login: str) -> OvhSmsConfig:
    return OvhSmsConfig.model_validate(
        {
            "protocol": "ovh",
            "endpoint": f"{ovh.url}/1.0",
            **KEYS,
            "service_name": "sms-pr91-1",
            "login": login,
            "sender": "PREF91",
            "callback_token": TOKENS[login],
            "rate_per_second": 200,
            "production": login == "prefecture",
        }
    )


@contextlib.contextmanager
def serve(
    engine: Engine, clock: ManualClock, settings: Settings, delivery: DeliveryConfig
) -> Iterator[Live]:
    """The service with these channels, its API served by uvicorn on 127.0.0.1."""
    service = bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=delivery,
        scheduler_mode=SchedulerMode.NONE,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    try:
        yield Live(service, f"http://127.0.0.1:{sock.getsockname()[1]}")
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        service.close()


@pytest.fixture
def live(
    engine: Engine, clock: ManualClock, settings: Settings, ovh: FakeOvhSms, smtp: FakeSmtpServer
) -> Iterator[Live]:
    email = EmailConfig(
        host="127.0.0.1", port=smtp.port, security="none", from_address="com@pref.gouv.fr"
    )
    delivery = DeliveryConfig(
        production=ChannelsConfig(sms=ovh_config(ovh, "prefecture"), email=email),
        exercise=ChannelsConfig(sms=ovh_config(ovh, "prefecture-ex")),
        audiences={Audience.ELUS: [ChannelName.SMS]},
        fallbacks={ChannelName.SMS: ChannelName.EMAIL},
        dispatcher=DispatcherSettings(
            idle_seconds=0.05, retry=RetrySettings(base_seconds=0.01, max_delay_seconds=0.05)
        ),
    )
    with serve(engine, clock, settings, delivery) as running:
        for login, token in TOKENS.items():
            ovh.callbacks[login] = f"{running.url}/api/v1/sms/ovh/{token}"
        yield running


def message_to_elus(service: Service, *, elus: int = 3, exercise: bool = False) -> tuple[str, str]:
    add_people(service, ELUS[:elus])
    crisis_id = open_active(service, exercise=exercise)
    texts = (("default", ("EXERCICE - " if exercise else "") + "Crue : évacuez les berges."),)
    result = service.bus.handle(
        SendMessage(crisis_id=crisis_id, texts=texts, audiences=(Audience.ELUS,)), actor=CELL
    )
    return crisis_id, str(result.message_id)


def handsets_known(service: Service, message_id: str) -> Callable[[], bool]:
    return lambda: all(
        d.handset_status for d in deliveries(service, message_id) if d.channel == "sms"
    )


def test_reports_are_kept_per_delivery_and_journalled_per_message(
    live: Live, ovh: FakeOvhSms, clock: ManualClock
) -> None:
    service = live.service
    crisis_id, message_id = message_to_elus(service)
    dispatch_until(service, handsets_known(service, message_id))
    rows = deliveries(service, message_id)
    assert {(d.status, d.handset_status, d.handset_at) for d in rows} == {
        ("accepted", "delivered", clock.now())
    }
    assert sorted(d.provider_message_id or "" for d in rows) == sorted(str(j.id) for j in ovh.jobs)
    entries = journal(service, crisis_id, "event.HandsetReceiptsRecorded")
    assert 1 <= len(entries) <= 3
    assert sorted(r["delivery_id"] for e in entries for r in e["reports"]) == sorted(
        d.id for d in rows
    )
    # The intermediate notice before each final report was answered and ignored.
    assert [r.status for r in ovh.reports] == [200] * 6
    assert counted(service, "matched") + counted(service, "waiting") == 3
    assert ovh.refused == []


def test_undelivered_sms_to_an_élu_falls_back_to_email(
    live: Live, ovh: FakeOvhSms, smtp: FakeSmtpServer
) -> None:
    service = live.service
    ovh.outcomes.by_receiver["+33611223300"] = UNREACHABLE
    _, message_id = message_to_elus(service, elus=2)
    dispatch_until(
        service,
        lambda: any(d.channel == "email" for d in deliveries(service, message_id)),
    )
    rows = {d.channel + (d.recipient or ""): d for d in deliveries(service, message_id)}
    lost = rows["sms+33611223300"]
    assert lost.handset_status == "undelivered"
    assert lost.handset_reason == (
        "non remis : abonné absent (téléphone éteint ou introuvable sur le réseau)"
    )
    assert rows["sms+33611223301"].handset_status == "delivered"
    assert [d.recipient for d in rows.values() if d.channel == "email"] == ["maire0@commune.fr"]
    assert [m.rcpt_tos[0] for m in smtp.mails] == ["maire0@commune.fr"]


def test_duplicate_reports_are_counted_and_ignored(live: Live, ovh: FakeOvhSms) -> None:
    service = live.service
    ovh.duplicate_reports = True
    _, message_id = message_to_elus(service, elus=2)
    dispatch_until(service, lambda: len(ovh.reports) == 6)
    assert {d.handset_status for d in deliveries(service, message_id)} == {"delivered"}
    assert counted(service, "duplicate") == 2


def test_exercise_reports_come_back_to_the_exercise_route(live: Live, ovh: FakeOvhSms) -> None:
    service = live.service
    _, message_id = message_to_elus(service, elus=1, exercise=True)
    dispatch_until(service, handsets_known(service, message_id))
    assert {d.handset_status for d in deliveries(service, message_id)} == {"delivered"}
    assert (
        counted(service, "matched", "sms/exercice") + counted(service, "waiting", "sms/exercice")
        == 1
    )
    assert [job.body["sender"] for job in ovh.jobs] == ["PREF91"]


def test_an_unknown_token_is_refused_and_changes_nothing(live: Live) -> None:
    query = "id=10867690&ptt=4&date=2026-12-07&description=1&descriptionDlr=Success"
    assert call_back(f"{live.url}/api/v1/sms/ovh/{'z' * 40}?{query}") == 404
    assert counted(live.service, "waiting") == 0


def ovh_channels_file(tmp_path: Path, ovh: FakeOvhSms) -> Path:
    path = tmp_path / "canaux.yaml"
    common = (
        f"protocol: ovh, endpoint: '{ovh.url}/1.0', application_key: ak-pref91, "
        "application_secret: '${OVH_APPLICATION_SECRET}', consumer_key: ck, "
        "service_name: sms-pr91-1, sender: PREF91"
    )
    path.write_text(
        f"""
production:
  sms: {{{common}, login: prefecture, callback_token: {TOKENS["prefecture"]}}}
exercise:
  sms: {{{common}, login: prefecture-ex, callback_token: {TOKENS["prefecture-ex"]},
         production: false}}
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("secret", "code"), [("as-pref91", 0), ("faux", 1)])
def test_channels_check_reads_each_sms_user(
    tmp_path: Path, database_url: str, ovh: FakeOvhSms, secret: str, code: int
) -> None:
    for login, token in TOKENS.items():
        ovh.callbacks[login] = f"https://crise.pref91.example/api/v1/sms/ovh/{token}"
    env = {
        "CRISIS_DATABASE_URL": database_url,
        "CRISIS_CHANNELS_FILE": str(ovh_channels_file(tmp_path, ovh)),
        "OVH_APPLICATION_SECRET": secret,
    }
    result = CliRunner().invoke(app, ["channels", "check"], env=env)
    assert result.exit_code == code, result.stdout
    lines = [line for line in result.stdout.splitlines() if "] sms : " in line]
    assert len(lines) == 2
    if code:
        assert all("ÉCHEC — OVHcloud refuse la requête : signature refusée" in x for x in lines)
    else:
        assert all("OK — API OVHcloud : requête signée acceptée" in x for x in lines)
    assert ovh.jobs == []
    assert TOKENS["prefecture"] not in result.stdout
