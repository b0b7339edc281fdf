"""Every provider fake on loopback, and delivery configurations pointing at them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from channels.config import (
    ChannelsConfig,
    EmailConfig,
    SmsConfig,
    TelegramConfig,
    WebhookConfig,
    XConfig,
)
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import (
    AlertRecipient,
    AlertsConfig,
    DeliveryConfig,
    DispatcherSettings,
    RetrySettings,
)
from crisis.domain.commands import AddUser, CodDecision, OpenCrisis
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.settings import Settings
from crisis.store.journal import JournalEntry
from tests.fakes.sms import FakeSmsGateway
from tests.fakes.smtp import FakeSmtpServer
from tests.fakes.telegram import FakeTelegramServer
from tests.fakes.webhook import FakeWebhookReceiver
from tests.fakes.x import FakeXServer

TELEGRAM_TOKEN = "123456:TEST-token"
SMS_KEY = "sms-test-key"
OFFICER = Actor(name="cadre", role="duty_officer", user_id="u-officer")
CELL = Actor(name="cellule", role="comm_cell", user_id="u-cell")


@dataclass
class Fakes:
    telegram: FakeTelegramServer
    x: FakeXServer
    smtp: FakeSmtpServer
    sms: FakeSmsGateway
    webhook: FakeWebhookReceiver


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with (
        FakeTelegramServer(token=TELEGRAM_TOKEN) as telegram,
        FakeXServer() as x,
        FakeSmtpServer() as smtp,
        FakeSmsGateway(api_key=SMS_KEY) as sms,
        FakeWebhookReceiver() as webhook,
    ):
        yield Fakes(telegram, x, smtp, sms, webhook)


def channels_config(fakes: Fakes, *, production: bool) -> ChannelsConfig:
    return ChannelsConfig(
        telegram=TelegramConfig(
            token=SecretStr(TELEGRAM_TOKEN),
            base_url=fakes.telegram.base_url,
            public_chat="@prefecture_public" if production else "@prefecture_exercice",
            production=production,
            timeout_seconds=2,
        ),
        x=XConfig(
            user_access_token=SecretStr("x-token"), api_base_url=fakes.x.url, production=production
        ),
        email=EmailConfig(
            host="127.0.0.1",
            port=fakes.smtp.port,
            security="none",
            from_address="communication@prefecture.gouv.fr",
            production=production,
        ),
        sms=SmsConfig(base_url=fakes.sms.url, api_key=SecretStr(SMS_KEY), production=production),
        webhook=WebhookConfig(
            secret=SecretStr("whsec_0eulSCXHeBbe7qp83t4UXxBZvoFgoZr9ZbC1g7wCR9I="),
            url=f"{fakes.webhook.url}/hook",
            production=production,
        ),
    )


def delivery_config(fakes: Fakes, **overrides: object) -> DeliveryConfig:
    values: dict[str, object] = {
        "production": channels_config(fakes, production=True),
        "exercise": channels_config(fakes, production=False),
        "alerts": AlertsConfig(
            recipients=[
                AlertRecipient(name="Cadre de permanence", email="permanence@prefecture.gouv.fr"),
                AlertRecipient(name="Cabinet", role="cabinet", telegram_chat_id="9001"),
            ]
        ),
        "dispatcher": DispatcherSettings(
            idle_seconds=0.05, retry=RetrySettings(base_seconds=0.01, max_delay_seconds=0.05)
        ),
    }
    values.update(overrides)
    return DeliveryConfig.model_validate(values)


@pytest.fixture
def database_url(engine: Engine, request: pytest.FixtureRequest) -> str:
    """The test store's URL, for a subprocess or the CLI (PostgreSQL: with its schema)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        _, schema = request.getfixturevalue("postgres_schema_url")
        url += f"?options=-csearch_path%3D{schema}"
    return url


@pytest.fixture
def delivery(fakes: Fakes) -> DeliveryConfig:
    return delivery_config(fakes)


@pytest.fixture
def service(
    engine: Engine, clock: ManualClock, settings: Settings, delivery: DeliveryConfig
) -> Service:
    return bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=delivery,
        scheduler_mode=SchedulerMode.NONE,
    )


PEOPLE = [
    ContactInput(
        name="Maire de Corbeil",
        category="elu",
        email="maire@corbeil.fr",
        mobile="06 11 22 33 44",
        telegram_chat_id="1001",
        commune="Corbeil-Essonnes",
        exercise=True,
    ),
    ContactInput(
        name="Maire d'Évry",
        category="elu",
        email="maire@evry.fr",
        mobile="06 55 66 77 88",
        commune="Évry-Courcouronnes",
        exercise=True,
    ),
    ContactInput(name="Député", category="elu", email="depute@assemblee.fr", exercise=False),
    ContactInput(
        name="Le Républicain",
        category="media",
        email="redaction@republicain.fr",
        telegram_chat_id="2001",
        exercise=True,
    ),
    ContactInput(name="France Bleu", category="media", email="info@francebleu.fr", exercise=False),
]


def add_people(service: Service, people: list[ContactInput] | None = None) -> None:
    for person in people or PEOPLE:
        service.bus.handle(CreateContact(contact=person), actor=OFFICER)


def open_active(service: Service, *, exercise: bool) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de la Seine",
            kind=CrisisKind.INONDATION,
            exercise=exercise,
            communes=("Corbeil-Essonnes", "Évry-Courcouronnes"),
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-1"),
        ),
        actor=OFFICER,
    )
    return crisis_id


def token_for(service: Service, role: str) -> str:
    result = service.bus.handle(AddUser(name=f"api-{role}", role=role), actor=SYSTEM_ACTOR)
    token: str = result["token"]
    return token


def accepted_in_journal(entries: Iterable[JournalEntry]) -> list[dict[str, Any]]:
    """Every acceptance the journal holds, one dict per delivery: its entry's message,
    channel and audience with the delivery's own fields."""
    found: list[dict[str, Any]] = []
    for entry in entries:
        if entry.kind == "event.DeliveriesAccepted":
            common = {k: v for k, v in entry.payload.items() if k != "deliveries"}
            found.extend(common | delivery for delivery in entry.payload["deliveries"])
    return found
