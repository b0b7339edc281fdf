"""The call-out by phone, through the dispatcher, against baresip behind kamailio: « 1 »
acknowledges and the cell's clock sees it, « 2 » moves the escalation on at once, a call
answered without a key is « message laissé », a busy line is retried then escalated, and an
exercise never rings through the production trunk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from channels.config import ChannelsConfig, VoiceConfig
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig, DispatcherSettings
from crisis.domain.oncall import CellRole, CheckCallouts, ImportRoster, ShiftInput
from crisis.domain.vocabulary import ClockName
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from crisis.store.journal import JournalEntry
from tests.integration.delivery.conftest import OFFICER
from tests.integration.delivery.test_broadcast import dispatch
from tests.integration.delivery.test_oncall import activate
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
    timer = callee.when_answered(lambda: callee.press("1"))
    dispatch(service)
    timer.join()
    [ack] = events(service, crisis_id, "PageAcknowledged")
    assert (ack["member_name"], ack["via"]) == ("Claire Chef", "telephone_touche")
    with service.bus.reading() as uow:
        crisis = uow.crises.get(crisis_id)
    assert crisis.clocks[ClockName.CELL].met_at == clock.now()
    assert call_outcomes(service, crisis_id) == [(ANSWERING, "accepted", 1, "acknowledged")]


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
    clock.advance(timedelta(seconds=61))  # the busy line is called again after retry_seconds
    dispatch(service)
    assert (BUSY, "pending", 2, None) in call_outcomes(service, crisis_id)
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
