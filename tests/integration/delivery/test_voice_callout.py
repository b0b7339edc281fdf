"""The call-out by phone, through the dispatcher, against baresip behind kamailio: « 1 »
acknowledges and the cell's clock sees it, « 2 » moves the escalation on at once, a call
answered without a key is « message laissé », a busy line is retried then escalated, and an
exercise never rings through the production trunk."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from typer.testing import CliRunner

from channels.config import ChannelsConfig, VoiceConfig
from channels.contract import SendError
from channels.registry import close_channels
from crisis.api.app import create_app
from crisis.api.readiness import readiness
from crisis.bootstrap import Service, bootstrap
from crisis.cli import app
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig, DispatcherSettings
from crisis.domain.commands import AddUser, SendMessage
from crisis.domain.contact_commands import ContactInput
from crisis.domain.contacts import fold
from crisis.domain.messages import ChannelName
from crisis.domain.oncall import (
    AcknowledgePage,
    CellRole,
    CheckCallouts,
    ImportRoster,
    ShiftInput,
)
from crisis.domain.vocabulary import Audience, ClockName
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from crisis.store.journal import JournalEntry
from tests.integration.delivery.conftest import CELL, OFFICER, add_people, open_active, token_for
from tests.integration.delivery.test_broadcast import dispatch
from tests.integration.delivery.test_oncall import activate
from tests.integration.web.conftest import PASSWORD, new_client, sign_in
from tests.peers.sip.peers import (
    ANSWERING,
    BUSY,
    TRUNK_PASSWORD,
    TRUNK_USER,
    Baresip,
    Kamailio,
    callee_behind_trunk,
)

N = 10  # minutes to acknowledge


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Baresip, Kamailio]]:
    with callee_behind_trunk(tmp_path_factory.mktemp("sip")) as peers:
        yield peers


def voice(trunk: Kamailio, *, production: bool) -> VoiceConfig:
    return VoiceConfig(
        proxy=f"127.0.0.1:{trunk.port}",
        username=TRUNK_USER,
        password=SecretStr(TRUNK_PASSWORD),
        caller_id="+33238000000",
        bind_host="127.0.0.1",
        ring_seconds=1.5,
        plays=1,
        key_wait_seconds=0.2,
        retry_seconds=60,
        words_per_minute=400,
        production=production,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        callout_ack_minutes=N,
        callout_escalations=1,
        cell_quorum=["chef_de_cellule"],
        callout_methods={"voice": 0},
    )


@pytest.fixture
def delivery(peers: tuple[Baresip, Kamailio]) -> DeliveryConfig:
    return DeliveryConfig(
        # Exercises have no trunk here: only the production one exists.
        production=ChannelsConfig(voice=voice(peers[1], production=True)),
        dispatcher=DispatcherSettings(idle_seconds=0.05),
    )


def on_call(service: Service, clock: ManualClock, **mobiles: str) -> None:
    start = clock.now() - timedelta(hours=2)

    def shift(name: str, role: CellRole, begin: datetime, mobile: str | None) -> ShiftInput:
        return ShiftInput(
            name=name,
            role=role,
            starts_at=begin,
            ends_at=begin + timedelta(hours=12),
            mobile=mobile,
        )

    shifts = (
        shift("Claire Chef", CellRole.CHEF_DE_CELLULE, start, mobiles.get("chef")),
        shift("Rémi Rédac", CellRole.REDACTEUR, start, mobiles.get("redacteur")),
        # The chef's next shift: the escalation's candidate, without a phone.
        shift("Nina Relève", CellRole.CHEF_DE_CELLULE, start + timedelta(hours=12), None),
    )
    service.bus.handle(ImportRoster(shifts=shifts), actor=OFFICER)


def journal(service: Service, crisis_id: str) -> list[JournalEntry]:
    with service.bus.reading() as uow:
        return uow.journal.entries(crisis_id)


def events(service: Service, crisis_id: str, kind: str) -> list[dict[str, object]]:
    return [e.payload for e in journal(service, crisis_id) if e.kind == f"event.{kind}"]


def call_outcomes(service: Service, crisis_id: str) -> list[tuple[str, str, int, str | None]]:
    with service.bus.reading() as uow:
        rows = uow.outbox.deliveries_of(crisis_id=crisis_id)
    return [
        (d.recipient, d.status, d.attempts, d.person_outcome) for d in rows if d.channel == "voice"
    ]


def test_key_1_acknowledges_par_telephone_and_the_cell_clock_sees_it(
    service: Service, clock: ManualClock, peers: tuple[Baresip, Kamailio]
) -> None:
    callee, _ = peers
    on_call(service, clock, chef=ANSWERING)
    crisis_id = activate(service, exercise=False)
    during: list[float | None] = []

    def press_1() -> None:
        during.append(service.metrics.registry.get_sample_value("crisis_calls_in_progress"))
        callee.press("1")

    timer = callee.when_answered(press_1)
    dispatch(service)
    timer.join()
    assert during == [1.0]
    sample = service.metrics.registry.get_sample_value
    assert sample("crisis_calls_in_progress") == 0.0
    assert sample("crisis_call_outcomes_total", {"outcome": "acknowledged"}) == 1.0
    assert readiness(service)["checks"]["voice_trunk"] == {"réel": "registered"}
    [ack] = events(service, crisis_id, "PageAcknowledged")
    assert (ack["member_name"], ack["via"]) == ("Claire Chef", "telephone_touche")
    with service.bus.reading() as uow:
        crisis = uow.crises.get(crisis_id)
    assert crisis.clocks[ClockName.CELL].met_at == clock.now()
    assert call_outcomes(service, crisis_id) == [(ANSWERING, "accepted", 1, "acknowledged")]


def test_the_quorum_reached_cancels_the_calls_still_to_ring(
    service: Service, clock: ManualClock
) -> None:
    on_call(service, clock, chef=ANSWERING, redacteur=BUSY)
    crisis_id = activate(service, exercise=False)
    with service.bus.reading() as uow:
        claire = uow.oncall.member_by_key(fold("Claire Chef"))
    assert claire is not None
    # The chef (the whole quorum here) acknowledges before any call has rung.
    service.bus.handle(AcknowledgePage(via="console", member_id=claire.id), actor=OFFICER)
    assert sorted(call_outcomes(service, crisis_id)) == [
        (ANSWERING, "cancelled", 0, None),
        (BUSY, "cancelled", 0, None),
    ]


def test_key_2_declines_and_the_escalation_moves_on_at_once(
    service: Service, clock: ManualClock, peers: tuple[Baresip, Kamailio]
) -> None:
    callee, _ = peers
    on_call(service, clock, chef=ANSWERING)
    crisis_id = activate(service, exercise=False)
    timer = callee.when_answered(lambda: callee.press("2"))
    dispatch(service)
    timer.join()
    [declined] = events(service, crisis_id, "PageDeclined")
    assert declined["member_name"] == "Claire Chef"
    # No minute passed: the chef's round is over, the next candidate is paged.
    [escalated] = events(service, crisis_id, "CalloutEscalated")
    assert (escalated["role"], escalated["round"], escalated["paged"]) == (
        "chef_de_cellule",
        1,
        ["Nina Relève"],
    )
    [calls] = events(service, crisis_id, "CalloutRoundCalls")
    assert calls["calls"] == {"declined": 1}
    assert events(service, crisis_id, "PageAcknowledged") == []


def test_message_left_is_not_an_acknowledgement_and_busy_is_retried_then_escalated(
    service: Service, clock: ManualClock, peers: tuple[Baresip, Kamailio]
) -> None:
    callee, _ = peers
    on_call(service, clock, chef=ANSWERING, redacteur=BUSY)
    crisis_id = activate(service, exercise=False)
    # The chef answers and hangs up without a key (an answering machine would let it play).
    timer = callee.when_answered(callee.hang_up)
    dispatch(service)
    timer.join()
    assert sorted(call_outcomes(service, crisis_id)) == [
        (ANSWERING, "accepted", 1, "message_left"),
        (BUSY, "pending", 1, None),
    ]
    for attempt in (2, 3):  # the busy line is called again after retry_seconds
        clock.advance(timedelta(seconds=61))
        dispatch(service)
        assert (BUSY, "pending", attempt, None) in call_outcomes(service, crisis_id)
    # Busy for two minutes is one person's line, not the trunk down.
    assert events(service, crisis_id, "ChannelDown") == []
    assert events(service, crisis_id, "PageAcknowledged") == []
    clock.advance(timedelta(minutes=N))
    service.bus.handle(CheckCallouts(crisis_id=crisis_id), actor=SYSTEM_ACTOR)
    rounds = {e["role"]: e["calls"] for e in events(service, crisis_id, "CalloutRoundCalls")}
    assert rounds == {"chef_de_cellule": {"message_left": 1}, "redacteur": {"no_answer": 1}}
    escalated = {e["role"] for e in events(service, crisis_id, "CalloutEscalated")}
    assert escalated == {"chef_de_cellule", "redacteur"}
    # One journal entry per round for the calls, not one per call or attempt.
    assert len(events(service, crisis_id, "CalloutRoundCalls")) == 2


def test_an_exercise_never_rings_through_the_production_trunk(
    service: Service, clock: ManualClock, peers: tuple[Baresip, Kamailio]
) -> None:
    callee, _ = peers
    callee.clear()
    on_call(service, clock, chef=ANSWERING)
    crisis_id = activate(service, exercise=True)
    dispatch(service)
    assert call_outcomes(service, crisis_id) == []
    assert events(service, crisis_id, "MemberPaged")  # paged, but not by the real trunk
    assert callee.heard() == []


def test_channels_check_registers_and_places_the_test_call(
    database_url: str, tmp_path: Path, peers: tuple[Baresip, Kamailio], engine: Engine
) -> None:
    once_is_enough(engine)
    callee, trunk = peers
    channels = tmp_path / "canaux.yaml"
    channels.write_text(
        f"""
production:
  voice:
    protocol: sip
    proxy: 127.0.0.1:{trunk.port}
    username: {TRUNK_USER}
    password: ${{SIP_PASSWORD}}
    caller_id: "+33238000000"
    test_number: "{ANSWERING}"
    bind_host: 127.0.0.1
    words_per_minute: 400
""",
        "utf-8",
    )
    env = {
        "CRISIS_DATABASE_URL": database_url,
        "CRISIS_CHANNELS_FILE": str(channels),
        "SIP_PASSWORD": TRUNK_PASSWORD,
    }
    runner = CliRunner()
    result = runner.invoke(app, ["channels", "check"], env=env)
    assert result.exit_code == 0, result.stdout
    assert f"[réel] voice : OK — Trunk SIP 127.0.0.1:{trunk.port} : enregistré (200 OK)" in (
        result.stdout
    )
    callee.clear()
    answered = callee.answered()
    result = runner.invoke(app, ["channels", "check", "--appel-test"], env=env)
    assert result.exit_code == 0, result.stdout
    assert f"[réel] voice (appel d'essai) : OK — Appel d'essai vers {ANSWERING} : décroché" in (
        result.stdout
    )
    assert callee.answered() == answered + 1
    assert TRUNK_PASSWORD not in result.stdout


def once_is_enough(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the dialogue with the trunk does not depend on the database")


def test_readyz_shows_the_trunk_registration_and_says_when_it_is_refused(
    service: Service,
    engine: Engine,
    clock: ManualClock,
    settings: Settings,
    peers: tuple[Baresip, Kamailio],
) -> None:
    once_is_enough(engine)
    _, trunk = peers

    def check(checked: Service) -> None:
        async def run() -> None:
            with contextlib.suppress(SendError):
                await checked.catalog.production["voice"].check()
            await close_channels(checked.catalog.production)

        asyncio.run(run())

    check(service)
    assert readiness(service)["checks"]["voice_trunk"] == {"réel": "registered"}
    wrong = voice(trunk, production=True).model_copy(update={"password": SecretStr("faux")})
    refused = bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=DeliveryConfig(production=ChannelsConfig(voice=wrong)),
    )
    check(refused)
    ready = readiness(refused)
    assert not ready["ready"]
    assert ready["checks"]["voice_trunk"] == {"réel": "failed"}
    assert (
        "trunk SIP (réel) non enregistré : enregistrement refusé (SIP 401" in ready["reasons"][-1]
    )


def test_elus_are_called_and_their_confirmations_counted_on_the_message_board(
    engine: Engine, clock: ManualClock, tmp_path: Path, peers: tuple[Baresip, Kamailio]
) -> None:
    callee, trunk = peers
    service = bootstrap(
        settings=Settings(data_dir=tmp_path, approval_audiences=[], callout_on_activation=False),
        clock=clock,
        engine=engine,
        delivery=DeliveryConfig(
            production=ChannelsConfig(voice=voice(trunk, production=True)),
            audiences={Audience.ELUS: [ChannelName.VOICE]},
        ),
    )
    add_people(
        service,
        [ContactInput(name="Maire de Corbeil", category="elu", mobile=ANSWERING, exercise=True)],
    )
    crisis_id = open_active(service, exercise=False)
    sent = service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Crue de la Seine : le COD est activé."), ("voice", "Crue.")),
            audiences=(Audience.ELUS,),
        ),
        actor=CELL,
    )
    timer = callee.when_answered(lambda: callee.press("1"))
    dispatch(service)
    timer.join()
    client = TestClient(create_app(service))
    auditor = {"Authorization": f"Bearer {token_for(service, 'auditor')}"}
    board = client.get(f"/api/v1/messages/{sent.message_id}", headers=auditor).json()
    assert board["confirmations"] == {"voice": 1}
    [delivery] = board["deliveries"]
    assert (delivery["channel"], delivery["status"], delivery["person_outcome"]) == (
        "voice",
        "accepted",
        "acknowledged",
    )
    # An élu's key press is counted with the delivery, not journalled call by call.
    kinds = [e.kind for e in journal(service, crisis_id)]
    assert "command.AnswerCall" not in kinds


def test_the_call_waits_its_turn_after_the_texts_and_is_cancelled_by_an_acknowledgement(
    service: Service, clock: ManualClock
) -> None:
    # Telegram at once, the phone three minutes later (Claire has no Telegram chat here).
    service.settings.callout_methods = {"telegram_dm": 0, "voice": 3}
    on_call(service, clock, chef=ANSWERING)
    with service.bus.reading() as uow:
        claire = uow.oncall.member_by_key(fold("Claire Chef"))
    assert claire is not None
    crisis_id = activate(service, exercise=False)
    with service.bus.reading() as uow:
        [call] = [d for d in uow.outbox.deliveries_of(crisis_id=crisis_id) if d.channel == "voice"]
    assert call.next_attempt_at == clock.now() + timedelta(minutes=3)
    clock.advance(timedelta(minutes=1))
    service.bus.handle(AcknowledgePage(via="console", member_id=claire.id), actor=OFFICER)
    assert call_outcomes(service, crisis_id) == [(ANSWERING, "cancelled", 0, None)]


def test_the_roster_page_says_how_and_in_which_order_members_are_reached(
    service: Service,
) -> None:
    service.settings.callout_methods = {"telegram_dm": 0, "sms": 0, "voice": 3}
    service.bus.handle(
        AddUser(name="cadre-voix", role="duty_officer", password=PASSWORD), actor=SYSTEM_ACTOR
    )
    client = new_client(service)
    sign_in(client, "cadre-voix")
    page = client.get("/astreinte").text
    assert (
        "Moyens d'appel d'un membre, dans l'ordre : Telegram (message personnel) tout de suite "
        "(non configuré), SMS tout de suite (non configuré), appel téléphonique après 3 min."
    ) in page


def test_an_exercise_rings_through_the_exercise_trunk_only(
    engine: Engine,
    clock: ManualClock,
    settings: Settings,
    peers: tuple[Baresip, Kamailio],
) -> None:
    callee, trunk = peers
    # The production trunk is somewhere nobody answers; the exercise trunk is kamailio.
    production = voice(trunk, production=True).model_copy(update={"proxy": "127.0.0.1:9"})
    service = bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=DeliveryConfig(
            production=ChannelsConfig(voice=production),
            exercise=ChannelsConfig(voice=voice(trunk, production=False)),
            dispatcher=DispatcherSettings(idle_seconds=0.05),
        ),
    )
    on_call(service, clock, chef=ANSWERING)
    crisis_id = activate(service, exercise=True)
    answered = callee.answered()
    hung_up = callee.when_answered(callee.hang_up)
    dispatch(service)
    hung_up.join()
    assert call_outcomes(service, crisis_id) == [(ANSWERING, "accepted", 1, "message_left")]
    assert callee.answered() == answered + 1
    # The production channel never spoke to its trunk, not even to register.
    real = service.catalog.production.built().get("voice")
    assert real is None or real.registration.value == "unknown"  # type: ignore[attr-defined]


# -- the approvers' calls (crisis.services.approval_calls) -------------------------------------


def _approvers_by_phone(service: Service, **mobiles: str) -> None:
    from crisis.domain.approval_calls import ApproverInput, SetApprovers
    from crisis.domain.contact_commands import CreateContact
    from crisis.services.context import Actor

    order = []
    for name, mobile in mobiles.items():
        service.bus.handle(AddUser(name=name, role="prefect"), actor=SYSTEM_ACTOR)
        service.bus.handle(
            CreateContact(contact=ContactInput(name=name, category="cellule", mobile=mobile)),
            actor=OFFICER,
        )
        order.append(ApproverInput(name, mobile))
    service.bus.handle(
        SetApprovers(approvers=tuple(order)), actor=Actor(name="admin", role="admin")
    )


def _submitted(service: Service) -> str:
    from tests.integration.delivery.test_approver_calls import submit_for_approval

    crisis_id = open_active(service, exercise=False)
    submit_for_approval(service, crisis_id)
    return crisis_id


def test_an_approver_called_presses_1_the_calls_wait_and_nothing_is_approved(
    service: Service, peers: tuple[Baresip, Kamailio]
) -> None:
    callee, _ = peers
    _approvers_by_phone(service, **{"Préfète": ANSWERING, "Directeur de cabinet": BUSY})
    crisis_id = _submitted(service)
    timer = callee.when_answered(lambda: callee.press("1"))
    dispatch(service)
    timer.join()
    [taken] = events(service, crisis_id, "ApprovalPageAcknowledged")
    assert (taken["approver"], taken["via"]) == ("Préfète", "telephone_touche")
    assert taken["resume_at"] is not None  # suspended, not stopped: no decision, they resume
    assert events(service, crisis_id, "ApprovalCallStopped") == []
    assert [p["approver"] for p in events(service, crisis_id, "ApproverPaged")] == ["Préfète"]
    assert events(service, crisis_id, "DraftApproved") == []


def test_an_approver_who_presses_2_has_the_next_one_called_at_once(
    service: Service, peers: tuple[Baresip, Kamailio]
) -> None:
    callee, _ = peers
    _approvers_by_phone(service, **{"Préfète": ANSWERING, "Directeur de cabinet": BUSY})
    crisis_id = _submitted(service)
    timer = callee.when_answered(lambda: callee.press("2"))
    dispatch(service)
    timer.join()
    [declined] = events(service, crisis_id, "ApprovalPageDeclined")
    assert declined["approver"] == "Préfète"
    paged = [p["approver"] for p in events(service, crisis_id, "ApproverPaged")]
    assert paged == ["Préfète", "Directeur de cabinet"]  # no minute passed


def test_an_exercise_never_calls_an_approver_through_the_production_trunk(
    service: Service,
) -> None:
    from tests.integration.delivery.test_approver_calls import submit_for_approval

    _approvers_by_phone(service, **{"Préfète": ANSWERING})
    crisis_id = open_active(service, exercise=True)  # only a production trunk is configured
    submit_for_approval(service, crisis_id)
    [paged] = events(service, crisis_id, "ApproverPaged")
    assert (paged["approver"], paged["channels"]) == ("Préfète", [])
    assert call_outcomes(service, crisis_id) == []
