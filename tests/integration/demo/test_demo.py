"""`crisis demo`: the demonstration database, its local channels (contract and exercise
safety), its outbox page and its banner; the administrator's first steps on the dashboard."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select
from typer.testing import CliRunner

from channels.contract import OutgoingMessage, RecipientKind, SendError
from crisis.api.app import create_app
from crisis.bootstrap import Service, bootstrap
from crisis.cli import app
from crisis.clock import ManualClock
from crisis.domain.commands import AddUser
from crisis.domain.vocabulary import Audience
from crisis.publishing.demo_channels import DemoChannel
from crisis.services.context import SYSTEM_ACTOR
from crisis.services.roles import Role
from crisis.settings import Settings
from crisis.store.demonstration import is_demonstration, mark_demonstration
from crisis.store.tables import deliveries, demo_outbox, users
from tests.integration.delivery.conftest import add_people, open_active
from tests.integration.delivery.test_broadcast import TEXTS, dispatch, send
from tests.integration.web.conftest import PASSWORD, sign_in
from tests.integration.web.test_reads_are_read_only import write_transactions

MARKER = "EXERCICE EXERCICE EXERCICE"


def run_demo(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["demo", *args], env={"CRISIS_DATA_DIR": str(data_dir), "CRISIS_DATABASE_URL": None}
    )
    return result.exit_code, result.stdout, result.stderr


def sqlite_engine(data_dir: Path) -> Engine:
    return create_engine(f"sqlite:///{data_dir / 'crisis.sqlite3'}")


def test_crisis_demo_makes_one_user_per_role_once(tmp_path: Path) -> None:
    code, out, err = run_demo(tmp_path, "--json")
    assert code == 0, err
    made = json.loads(out)
    assert {u["role"] for u in made["users"]} == {r.value for r in Role}
    assert all(len(u["password"]) >= 12 for u in made["users"])
    engine = sqlite_engine(tmp_path)
    assert is_demonstration(engine)
    code, out, _ = run_demo(tmp_path)
    assert code == 0
    assert "existe déjà" in out and "mot de passe :" not in out
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(users)) == len(Role)
    engine.dispose()


def test_crisis_demo_prints_the_passwords_in_french(tmp_path: Path) -> None:
    code, out, _ = run_demo(tmp_path)
    assert code == 0
    assert "Base de démonstration créée" in out
    assert "cellule de communication" in out and "préfet ou délégué" in out
    assert out.count("mot de passe :") == len(Role)


def test_crisis_demo_refuses_a_database_in_use(tmp_path: Path) -> None:
    upgraded = CliRunner().invoke(
        app, ["db", "upgrade"], env={"CRISIS_DATA_DIR": str(tmp_path), "CRISIS_DATABASE_URL": None}
    )
    assert upgraded.exit_code == 0, upgraded.output
    code, _, err = run_demo(tmp_path)
    assert code == 3
    assert "n'est pas une base de démonstration" in err and "crisis.sqlite3" in err
    engine = sqlite_engine(tmp_path)
    assert not is_demonstration(engine)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(users)) == 0
    engine.dispose()


@pytest.fixture
def demo_service(engine: Engine, clock: ManualClock, settings: Settings) -> Service:
    with engine.begin() as connection:
        mark_demonstration(connection, at=clock.now())
    return bootstrap(settings=settings, clock=clock, engine=engine)


def outbox_rows(engine: Engine) -> list[tuple[str, str, bool, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                demo_outbox.c.channel,
                demo_outbox.c.recipient,
                demo_outbox.c.exercise,
                demo_outbox.c.text,
            )
        ).all()
    return [(r.channel, r.recipient, r.exercise, r.text) for r in rows]


def test_a_demonstration_sends_through_its_own_channels_only(
    demo_service: Service, engine: Engine
) -> None:
    assert demo_service.demonstration
    add_people(demo_service)
    crisis_id = open_active(demo_service, exercise=False)
    message_id = send(demo_service, crisis_id, audiences=(Audience.ELUS, Audience.MEDIA))
    dispatch(demo_service)
    with engine.connect() as connection:
        statuses = connection.execute(
            select(deliveries.c.channel, deliveries.c.status).where(
                deliveries.c.message_id == message_id
            )
        ).all()
    assert statuses and {s.status for s in statuses} == {"accepted"}
    recorded = outbox_rows(engine)
    assert len(recorded) == len(statuses)
    assert {channel for channel, *_ in recorded} <= {"sms", "email", "telegram_dm"}
    assert any(TEXTS[1][1] == text for channel, _, _, text in recorded if channel == "sms")


def test_an_exercise_goes_to_the_exercise_channels_marked(
    demo_service: Service, engine: Engine
) -> None:
    add_people(demo_service)
    crisis_id = open_active(demo_service, exercise=True)
    send(demo_service, crisis_id, audiences=(Audience.ELUS,))
    dispatch(demo_service)
    recorded = outbox_rows(engine)
    assert recorded
    assert all(exercise and MARKER in text for _, _, exercise, text in recorded)


def _message(*, exercise: bool, text: str, delivery_id: str = "d1") -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id=delivery_id,
        recipient_kind=RecipientKind.PHONE,
        recipient="+33600000001",
        text=text,
        exercise=exercise,
    )


def test_the_channel_refuses_what_the_exercise_guard_refuses(engine: Engine) -> None:
    clock = ManualClock(datetime(2026, 11, 28, 21, 0, tzinfo=UTC))
    production = DemoChannel("sms", engine, clock=clock, production=True)
    sandbox = DemoChannel("sms", engine, clock=clock, production=False)
    with pytest.raises(SendError, match="public réel"):
        asyncio.run(production.send(_message(exercise=True, text=f"{MARKER} essai")))
    with pytest.raises(SendError, match="EXERCICE"):
        asyncio.run(sandbox.send(_message(exercise=True, text="essai sans la mention")))
    assert outbox_rows(engine) == []
    first = asyncio.run(production.send(_message(exercise=False, text="Crue : évitez les berges")))
    again = asyncio.run(production.send(_message(exercise=False, text="Crue : évitez les berges")))
    assert first == again  # a retry after a crash is « sent » once
    assert len(outbox_rows(engine)) == 1


def _signed_in(service: Service, role: Role) -> TestClient:
    service.bus.handle(
        AddUser(name=f"web-{role.value}", role=role.value, password=PASSWORD), actor=SYSTEM_ACTOR
    )
    client = TestClient(create_app(service), base_url="https://console.test")
    sign_in(client, f"web-{role.value}")
    return client


def test_every_page_says_demonstration_and_the_outbox_shows_what_was_sent(
    demo_service: Service,
) -> None:
    add_people(demo_service)
    crisis_id = open_active(demo_service, exercise=False)
    send(demo_service, crisis_id, audiences=(Audience.ELUS,))
    dispatch(demo_service)
    client = _signed_in(demo_service, Role.COMM_CELL)
    for path in ("/", "/annuaire", "/validation", f"/evenements/{crisis_id}"):
        html = client.get(path).text
        assert "DÉMONSTRATION — aucun message ne quitte ce service" in html, path
    client.get("/")  # the session's first look-up done: what follows only reads
    with write_transactions(demo_service) as writes:
        outbox = client.get("/demo/boite-d-envoi")
    assert writes == []  # a read-only transaction, as every GET
    assert outbox.status_code == 200
    assert "Boîte d'envoi de démonstration" in outbox.text
    assert "Crue de la Seine" in outbox.text and "SMS — +33" in outbox.text
    assert "DÉMONSTRATION" in client.get("/public").text


def test_a_service_in_use_has_no_outbox_page_and_no_banner(service: Service) -> None:
    client = _signed_in(service, Role.COMM_CELL)
    assert "DÉMONSTRATION" not in client.get("/").text
    assert client.get("/demo/boite-d-envoi").status_code == 404


def test_the_administrators_empty_dashboard_says_what_to_do_first(service: Service) -> None:
    client = _signed_in(service, Role.ADMIN)
    html = client.get("/").text
    assert "Premiers pas de l'administrateur" in html
    for link in ('href="/administration#ajouter"', 'href="/annuaire/import"'):
        assert link in html
    assert "CRISIS_CHANNELS_FILE" in html and "seules la page publique et l'alerte CAP" in html
    cell = _signed_in(service, Role.COMM_CELL)
    assert "Premiers pas" not in cell.get("/").text
