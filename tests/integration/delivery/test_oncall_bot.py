"""The on-call Telegram bot with real python-telegram-bot objects against the fake Bot API:
updates through getUpdates (polling) and through the webhook endpoint with its secret."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig
from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.oncall import CellRole, ImportRoster, IssueBindCode, ShiftInput
from crisis.domain.vocabulary import CrisisKind
from crisis.oncall.bot import TelegramBot, bot_for
from crisis.settings import Settings
from tests.integration.delivery.conftest import OFFICER, Fakes
from tests.integration.delivery.test_broadcast import dispatch

WEBHOOK_SECRET = "webhook-secret-for-tests"
_ids = itertools.count(1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
    )


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


@pytest.fixture
def bot(service: Service) -> Iterator[TelegramBot]:
    telegram = bot_for(service)
    assert telegram is not None
    yield telegram
    telegram.stop()


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Membre", "language_code": "fr"}


def command(chat_id: int, text: str) -> dict[str, Any]:
    word = text.split()[0]
    return {
        "message": {
            "message_id": next(_ids),
            "date": 1_800_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Membre"},
            "from": user(chat_id),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(word)}],
        }
    }


def button(chat_id: int, data: str) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": f"cb-{next(_ids)}",
            "from": user(chat_id),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": next(_ids),
                "date": 1_800_000_000,
                "chat": {"id": chat_id, "type": "private", "first_name": "Membre"},
                "text": "APPEL D'ASTREINTE",
            },
        }
    }


def replies(fakes: Fakes, chat_id: int) -> list[str]:
    return [m.text for m in fakes.telegram.messages[str(chat_id)]]


def setup_roster(service: Service, clock: ManualClock) -> None:
    start = clock.now() - timedelta(hours=1)
    service.bus.handle(
        ImportRoster(
            shifts=(
                ShiftInput(
                    "Claire Chef",
                    CellRole.CHEF_DE_CELLULE,
                    start,
                    start + timedelta(hours=8),
                    email="claire@prefecture.gouv.fr",
                ),
                ShiftInput(
                    "Rémi Rédac",
                    CellRole.REDACTEUR,
                    start,
                    start + timedelta(hours=8),
                    email="remi@prefecture.gouv.fr",
                ),
            )
        ),
        actor=OFFICER,
    )


def code_for(service: Service, name: str) -> str:
    code: str = service.bus.handle(IssueBindCode(member=name), actor=OFFICER)["code"]
    return code


def activate(service: Service) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de l'Orge",
            kind=CrisisKind.INONDATION,
            exercise=True,
            activation=CodDecision(decided_by="préfet", synergi_ref=None),
        ),
        actor=OFFICER,
    )
    return crisis_id


def acks(service: Service, crisis_id: str) -> list[dict[str, Any]]:
    with service.bus.unit_of_work() as uow:
        return [
            e.payload for e in uow.journal.entries(crisis_id) if e.kind == "event.PageAcknowledged"
        ]


def test_bind_code_valid_reused_unknown_and_expired(
    service: Service, fakes: Fakes, bot: TelegramBot, clock: ManualClock
) -> None:
    setup_roster(service, clock)
    code = code_for(service, "Claire Chef")
    fakes.telegram.enqueue_update(command(701, f"/start {code}"))
    fakes.telegram.enqueue_update(command(702, f"/start {code}"))
    fakes.telegram.enqueue_update(command(703, "/start INCONNU1"))
    fakes.telegram.enqueue_update(command(704, "/start"))
    assert bot.poll_once() == 4
    assert replies(fakes, 701)[0].startswith("C'est fait, Claire Chef")
    assert "déjà servi" in replies(fakes, 702)[0]
    assert "Code inconnu" in replies(fakes, 703)[0]
    assert "/start suivi du code" in replies(fakes, 704)[0]
    with service.bus.unit_of_work() as uow:
        claire = next(m for m in uow.oncall.members() if m.name == "Claire Chef")
        entries = uow.journal.entries("system")
    assert claire.telegram_chat_id == "701"
    assert code not in str([e.payload for e in entries])  # the code never reaches the journal

    late = code_for(service, "Rémi Rédac")
    clock.advance(timedelta(days=2))
    fakes.telegram.enqueue_update(command(705, f"/start {late}"))
    bot.poll_once()
    assert "expiré" in replies(fakes, 705)[0]


def test_ack_command_and_button_acknowledge_the_pages_of_the_bound_member(
    service: Service, fakes: Fakes, bot: TelegramBot, clock: ManualClock
) -> None:
    setup_roster(service, clock)
    fakes.telegram.enqueue_update(command(701, f"/start {code_for(service, 'Claire Chef')}"))
    fakes.telegram.enqueue_update(command(702, f"/start {code_for(service, 'Rémi Rédac')}"))
    bot.poll_once()
    crisis_id = activate(service)
    dispatch(service)  # pages now go to the bound chats, with the button
    page = fakes.telegram.messages["701"][-1]
    assert page.reply_markup is not None and "J'arrive" in page.reply_markup

    clock.advance(timedelta(minutes=4))
    fakes.telegram.enqueue_update(command(701, "/ack"))
    fakes.telegram.enqueue_update(button(702, "ack:whatever"))
    fakes.telegram.enqueue_update(command(703, "/ack"))  # nobody's chat
    bot.poll_once()
    assert replies(fakes, 701)[-1].startswith("Merci Claire Chef, accusé de réception")
    assert replies(fakes, 702)[-1].startswith("Merci Rémi Rédac")
    assert len(fakes.telegram.answered_callbacks) == 1
    assert "n'est associé à aucun membre" in replies(fakes, 703)[0]
    got = acks(service, crisis_id)
    assert sorted((a["member_name"], a["via"]) for a in got) == [
        ("Claire Chef", "telegram"),
        ("Rémi Rédac", "telegram"),
    ]
    assert {a["acknowledged_at"] for a in got} == {clock.now().isoformat()}

    fakes.telegram.enqueue_update(command(701, "/ack"))
    fakes.telegram.enqueue_update(command(701, "/status"))
    fakes.telegram.enqueue_update(command(703, "/status"))
    fakes.telegram.enqueue_update(command(701, "/aide"))
    bot.poll_once()
    again, status, help_text = replies(fakes, 701)[-3:]
    assert "Aucun appel n'attend" in again
    assert "Crue de l'Orge [EXERCICE]" in status
    assert "cellule de communication opérationnelle : en cours" in status
    assert "Réservé aux membres d'astreinte" in replies(fakes, 703)[-1]
    assert "/ack" in help_text


def test_webhook_checks_the_secret_then_feeds_the_update_to_the_application(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    setup_roster(service, clock)
    code = code_for(service, "Claire Chef")
    app = create_app(service)
    client = TestClient(app)
    try:
        update = {"update_id": 1, **command(801, f"/start {code}")}
        missing = client.post("/telegram/webhook", json=update)
        assert missing.status_code == 401
        wrong = client.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": "faux"},
        )
        assert wrong.status_code == 403
        assert fakes.telegram.messages.get("801") is None
        right = client.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )
        assert right.status_code == 200
        assert replies(fakes, 801)[0].startswith("C'est fait, Claire Chef")

        crisis_id = activate(service)
        ack = client.post(
            "/telegram/webhook",
            json={"update_id": 2, **command(801, "/ack")},
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )
        assert ack.status_code == 200
        assert [a["member_name"] for a in acks(service, crisis_id)] == ["Claire Chef"]
    finally:
        telegram = getattr(app.state, "telegram_bot", None)
        if telegram is not None:
            telegram.stop()
