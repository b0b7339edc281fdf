"""The « passerelle HTTP générique » with delivery reports: the fake gateway POSTs them (an
intermediate notice and the final word, as a list) to the service's own HTTP server, and they
are kept and acted on as the SMPP receipts are."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from channels.config import ChannelsConfig, EmailConfig, SmsConfig
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig, DispatcherSettings, RetrySettings
from crisis.domain.messages import ChannelName
from crisis.domain.vocabulary import Audience
from crisis.settings import Settings
from tests.fakes._http import call_back
from tests.fakes.sms import FakeSmsGateway
from tests.fakes.smtp import FakeSmtpServer
from tests.integration.delivery.test_ovh_receipts import (
    Live,
    handsets_known,
    message_to_elus,
    serve,
)
from tests.integration.delivery.test_sms_receipts import (
    deliveries,
    dispatch_until,
    journal,
)
from tests.integration.delivery.test_sms_receipts import receipts_counted as counted

KEY = "cle-passerelle"
TOKEN = "passerelle-" + "p" * 40


@pytest.fixture
def gateway() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway(api_key=KEY) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
def live(
    engine: Engine,
    clock: ManualClock,
    settings: Settings,
    gateway: FakeSmsGateway,
    smtp: FakeSmtpServer,
) -> Iterator[Live]:
    sms = SmsConfig(
        base_url=gateway.url,
        api_key=SecretStr(KEY),
        sender="PREF91",
        callback_token=SecretStr(TOKEN),
        rate_per_second=200,
    )
    email = EmailConfig(
        host="127.0.0.1", port=smtp.port, security="none", from_address="com@pref.gouv.fr"
    )
    delivery = DeliveryConfig(
        production=ChannelsConfig(sms=sms, email=email),
        audiences={Audience.ELUS: [ChannelName.SMS]},
        fallbacks={ChannelName.SMS: ChannelName.EMAIL},
        dispatcher=DispatcherSettings(
            idle_seconds=0.05, retry=RetrySettings(base_seconds=0.01, max_delay_seconds=0.05)
        ),
    )
    with serve(engine, clock, settings, delivery) as running:
        gateway.callback_url = f"{running.url}/api/v1/sms/passerelle/{TOKEN}"
        yield running


def test_reports_are_kept_and_an_élu_not_reached_gets_an_email(
    live: Live, gateway: FakeSmsGateway, smtp: FakeSmtpServer
) -> None:
    service = live.service
    gateway.final_states["+33611223300"] = "EXPIRED"
    crisis_id, message_id = message_to_elus(service, elus=2)
    known = handsets_known(service, message_id)
    dispatch_until(
        service,
        lambda: known() and any(d.channel == "email" for d in deliveries(service, message_id)),
    )
    rows = {d.channel + (d.recipient or ""): d for d in deliveries(service, message_id)}
    assert rows["sms+33611223300"].handset_status == "undelivered"
    assert (rows["sms+33611223300"].handset_reason or "").startswith(
        "non remis : délai de validité expiré"
    )
    assert rows["sms+33611223301"].handset_status == "delivered"
    assert [m.rcpt_tos[0] for m in smtp.mails] == ["maire0@commune.fr"]
    assert gateway.report_answers == [200, 200]
    assert 1 <= len(journal(service, crisis_id, "event.HandsetReceiptsRecorded")) <= 2
    assert counted(service, "matched") + counted(service, "waiting") == 2


def test_bad_reports_and_unknown_tokens_change_nothing(live: Live) -> None:
    base = f"{live.url}/api/v1/sms/passerelle"
    assert call_back(f"{base}/{'z' * 40}", json_body={"id": "sms-1", "state": "DELIVRD"}) == 404
    assert call_back(f"{base}/{TOKEN}", json_body={"id": "sms-1", "state": "LIVRÉ"}) == 422
    assert call_back(f"{base}/{TOKEN}", json_body={"state": "DELIVRD"}) == 422
    assert counted(live.service, "waiting") == 0
    # A report for an id not (yet) known waits for its acceptance.
    assert call_back(f"{base}/{TOKEN}", json_body=[{"id": "sms-9", "state": "DELIVRD"}]) == 200
    assert counted(live.service, "waiting") == 1
