"""The cell on call on both databases, time moved by hand: callout on activation, pages
through the fakes, escalation at N minutes, K repeats, the duty officer's alert, quorum,
signed links, handovers."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig
from crisis.domain.commands import CodDecision, DeclareCellOperational, OpenCrisis
from crisis.domain.errors import Conflict
from crisis.domain.oncall import (
    AcknowledgePage,
    CellRole,
    CheckCallouts,
    ImportRoster,
    ShiftInput,
    StartCallout,
)
from crisis.domain.vocabulary import ClockName, ClockState, CrisisKind
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from crisis.store.journal import JournalEntry
from tests.integration.delivery.conftest import OFFICER, Fakes, token_for
from tests.integration.delivery.test_broadcast import dispatch

N = 10  # minutes to acknowledge
K = 2  # escalations before the duty officer


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        callout_ack_minutes=N,
        callout_escalations=K,
        oncall_backups={"redacteur": ["Renfort Rédaction"]},
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


def shift(
    name: str, role: CellRole, start: datetime, hours: float = 12, **addresses: str
) -> ShiftInput:
    return ShiftInput(
        name=name,
        role=role,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        **addresses,  # type: ignore[arg-type]
    )


def roster(service: Service, clock: ManualClock) -> None:
    start = clock.now() - timedelta(hours=2)
    shifts = (
        shift("Claire Chef", CellRole.CHEF_DE_CELLULE, start, telegram_chat_id="501"),
        shift("Rémi Rédac", CellRole.REDACTEUR, start, email="remi@prefecture.gouv.fr"),
        shift("Sarah Réseaux", CellRole.CHARGE_RESEAUX_SOCIAUX, start, mobile="06 12 34 56 78"),
        shift("Paul Presse", CellRole.ATTACHE_PRESSE, start, email="paul@prefecture.gouv.fr"),
        # The next shift of the rota for the rédacteur: the first escalation's candidate.
        shift(
            "Nina Relève",
            CellRole.REDACTEUR,
            start + timedelta(hours=12),
            telegram_chat_id="502",
        ),
        shift(
            "Renfort Rédaction",
            CellRole.REDACTEUR,
            start + timedelta(days=3),
            email="renfort@prefecture.gouv.fr",
        ),
    )
    service.bus.handle(ImportRoster(shifts=shifts), actor=OFFICER)


def activate(service: Service, *, exercise: bool = True) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Incendie industriel",
            kind=CrisisKind.ACCIDENT_INDUSTRIEL,
            exercise=exercise,
            communes=("Grigny",),
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-2"),
        ),
        actor=OFFICER,
    )
    return crisis_id


def outbox_states(service: Service, crisis_id: str) -> list[tuple[str, str, str, int, str]]:
    """Each delivery of the crisis: channel, recipient, status, attempts, last error."""
    with service.bus.reading() as uow:
        rows = uow.outbox.deliveries_of(crisis_id=crisis_id)
    return [(d.channel, d.recipient, d.status, d.attempts, d.last_error or "") for d in rows]


def journal(service: Service, crisis_id: str, kind: str) -> list[JournalEntry]:
    with service.bus.unit_of_work() as uow:
        assert uow.journal.verify(crisis_id).ok
        return [e for e in uow.journal.entries(crisis_id) if e.kind == f"event.{kind}"]


def check(service: Service) -> None:
    service.bus.handle(CheckCallouts(), actor=SYSTEM_ACTOR)


def test_activation_pages_the_cell_through_every_channel_with_a_way_to_acknowledge(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    roster(service, clock)
    crisis_id = activate(service)
    paged = journal(service, crisis_id, "MemberPaged")
    assert sorted((p.payload["role"], p.payload["member_name"]) for p in paged) == [
        ("attache_presse", "Paul Presse"),
        ("charge_reseaux_sociaux", "Sarah Réseaux"),
        ("chef_de_cellule", "Claire Chef"),
        ("redacteur", "Rémi Rédac"),
    ]
    dispatch(service)
    # Once seen failing under heavy load with no message here: say what the outbox held.
    assert "501" in fakes.telegram.messages, outbox_states(service, crisis_id)
    (dm,) = fakes.telegram.messages["501"]
    assert dm.text.startswith("EXERCICE EXERCICE EXERCICE")
    assert "/ack" in dm.text and "chef de cellule" in dm.text
    assert dm.reply_markup is not None
    button = json.loads(dm.reply_markup)["inline_keyboard"][0][0]
    assert button["text"] == "J'arrive" and button["callback_data"].startswith("ack:")
    # A link ends its line: no full stop a client would take into it.
    assert not [line for line in dm.text.splitlines() if "://" in line and line.endswith(".")]
    (sms,) = fakes.sms.messages
    assert sms.to == "+33612345678" and "/ack/" in sms.text
    assert "\nPréfecture - appel d'astreinte" in sms.text
    assert not sms.text.endswith(".")
    mails = sorted(m.rcpt_tos[0] for m in fakes.smtp.mails)
    assert mails == ["paul@prefecture.gouv.fr", "remi@prefecture.gouv.fr"]
    # Nobody from the later shifts yet.
    assert "502" not in fakes.telegram.messages


def test_nobody_acknowledges_escalation_every_n_minutes_k_times_then_the_duty_officer(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    roster(service, clock)
    crisis_id = activate(service)
    start = clock.now()
    clock.advance(timedelta(minutes=N - 1))
    check(service)
    assert journal(service, crisis_id, "CalloutEscalated") == []

    clock.set(start + timedelta(minutes=N))
    check(service)
    check(service)  # a second check at the same instant changes nothing
    first = journal(service, crisis_id, "CalloutEscalated")
    assert {e.payload["role"] for e in first} == {r.value for r in CellRole if "cip" not in r}
    assert {e.payload["round"] for e in first} == {1}
    by_role = {e.payload["role"]: e.payload["paged"] for e in first}
    assert by_role["redacteur"] == ["Nina Relève"]  # the rota's next candidate
    assert by_role["chef_de_cellule"] == []  # nobody else on the rota
    # Nobody left for three roles: the duty officer is told at once, not after 2 N more.
    at_once = journal(service, crisis_id, "CalloutOfficerAlerted")
    assert {e.payload["role"] for e in at_once} == {
        "chef_de_cellule",
        "charge_reseaux_sociaux",
        "attache_presse",
    }
    assert all(e.payload["exhausted"] and e.payload["paged"] == 1 for e in at_once)
    dispatch(service)
    assert "502" in fakes.telegram.messages  # Nina paged on Telegram
    officer = [m for m in fakes.smtp.mails if m.rcpt_tos[0] == "permanence@prefecture.gouv.fr"]
    assert len(officer) == 3
    body = officer[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "plus personne à appeler" in body and "1 personne(s) réellement appelée(s)" in body

    clock.set(start + timedelta(minutes=2 * N))
    check(service)
    second = [e for e in journal(service, crisis_id, "CalloutEscalated") if e.payload["round"] == 2]
    assert {e.payload["role"]: e.payload["paged"] for e in second}["redacteur"] == [
        "Renfort Rédaction"  # then the configured backup
    ]
    assert len(journal(service, crisis_id, "CalloutOfficerAlerted")) == 3
    mails_before = len(fakes.smtp.mails)
    dispatch(service)
    assert len(fakes.smtp.mails) == mails_before + 1  # the backup's e-mail

    clock.set(start + timedelta(minutes=3 * N))
    check(service)
    check(service)
    alerted = journal(service, crisis_id, "CalloutOfficerAlerted")
    assert len(alerted) == 4  # once per role, never twice
    (redacteur,) = [e for e in alerted if e.payload["role"] == "redacteur"]
    assert redacteur.payload["due_at"] == (start + timedelta(minutes=3 * N)).isoformat()
    assert redacteur.payload["paged"] == 3 and not redacteur.payload["exhausted"]
    dispatch(service)
    officer = [m for m in fakes.smtp.mails if m.rcpt_tos[0] == "permanence@prefecture.gouv.fr"]
    assert len(officer) == 4
    assert "ASTREINTE SANS RÉPONSE" in officer[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    cabinet = fakes.telegram.messages["9001"]
    assert len(cabinet) == 4

    clock.advance(timedelta(hours=1))
    check(service)
    assert len(journal(service, crisis_id, "CalloutOfficerAlerted")) == 4
    assert len(journal(service, crisis_id, "CalloutEscalated")) == 5  # 4 in round 1, then 1


def test_partial_quorum_keeps_the_cell_clock_running_full_quorum_meets_it_at_last_ack(
    service: Service, clock: ManualClock
) -> None:
    roster(service, clock)
    crisis_id = activate(service)
    with service.bus.unit_of_work() as uow:
        members = {m.name: m.id for m in uow.oncall.members()}

    def ack(name: str) -> None:
        service.bus.handle(
            AcknowledgePage(via="api", member_id=members[name], crisis_id=crisis_id),
            actor=OFFICER,
        )

    clock.advance(timedelta(minutes=3))
    ack("Claire Chef")
    clock.advance(timedelta(minutes=4))
    ack("Paul Presse")  # not in the quorum
    ack("Rémi Rédac")
    with service.bus.unit_of_work() as uow:
        cell = uow.crises.get(crisis_id).clocks[ClockName.CELL]
    assert cell.state is ClockState.RUNNING
    assert journal(service, crisis_id, "QuorumReached") == []

    clock.advance(timedelta(minutes=5))
    last = clock.now()
    ack("Sarah Réseaux")
    with service.bus.unit_of_work() as uow:
        cell = uow.crises.get(crisis_id).clocks[ClockName.CELL]
    assert cell.state is ClockState.MET
    assert cell.met_at == last
    assert cell.met_by == (
        "quorum atteint (chef de cellule, rédacteur, chargé des réseaux sociaux)"
    )
    (declared,) = journal(service, crisis_id, "CellDeclaredOperational")
    assert declared.actor == OFFICER.name
    assert declared.payload["declared_by"] == "système"
    assert "chef de cellule" in declared.payload["note"]
    assert "Quorum atteint" in declared.payload["note"]
    acks = journal(service, crisis_id, "PageAcknowledged")
    assert [a.payload["via"] for a in acks] == ["api"] * 4

    with pytest.raises(Conflict, match="Aucun appel n'attend"):
        ack("Sarah Réseaux")
    # Acknowledged roles are not escalated.
    clock.advance(timedelta(minutes=N))
    check(service)
    assert journal(service, crisis_id, "CalloutEscalated") == []


def test_manual_declaration_meets_the_clock_and_the_later_quorum_changes_nothing(
    service: Service, clock: ManualClock
) -> None:
    roster(service, clock)
    crisis_id = activate(service)
    clock.advance(timedelta(minutes=2))
    declared_at = clock.now()
    service.bus.handle(DeclareCellOperational(crisis_id=crisis_id, note="à la main"), actor=OFFICER)
    with service.bus.unit_of_work() as uow:
        members = [m.id for m in uow.oncall.members()]
    clock.advance(timedelta(minutes=2))
    for member_id in members:
        with contextlib.suppress(Conflict):  # members not paged
            service.bus.handle(
                AcknowledgePage(via="api", member_id=member_id, crisis_id=crisis_id),
                actor=OFFICER,
            )
    with service.bus.unit_of_work() as uow:
        cell = uow.crises.get(crisis_id).clocks[ClockName.CELL]
    assert cell.met_at == declared_at
    assert len(journal(service, crisis_id, "QuorumReached")) == 1
    assert len(journal(service, crisis_id, "CellDeclaredOperational")) == 1


def test_ordered_callout_twice_is_a_conflict_and_an_empty_roster_too(
    service: Service, clock: ManualClock
) -> None:
    crisis_id = activate(service)
    assert journal(service, crisis_id, "CalloutStarted") == []  # no rota: nothing to page
    with pytest.raises(Conflict, match="Aucun membre d'astreinte"):
        service.bus.handle(StartCallout(crisis_id=crisis_id), actor=OFFICER)
    roster(service, clock)
    service.bus.handle(StartCallout(crisis_id=crisis_id), actor=OFFICER)
    with pytest.raises(Conflict, match="déjà lancé"):
        service.bus.handle(StartCallout(crisis_id=crisis_id), actor=OFFICER)


def test_callout_on_activation_can_be_turned_off(
    engine: Engine, clock: ManualClock, settings: Settings, delivery: DeliveryConfig
) -> None:
    quiet = bootstrap(
        settings=settings.model_copy(update={"callout_on_activation": False}),
        clock=clock,
        engine=engine,
        delivery=delivery,
    )
    roster(quiet, clock)
    crisis_id = activate(quiet)
    assert journal(quiet, crisis_id, "CalloutStarted") == []


def test_shift_handover_during_the_crisis_is_journalled_once(
    service: Service, clock: ManualClock
) -> None:
    roster(service, clock)
    crisis_id = activate(service)
    clock.advance(timedelta(hours=10, minutes=1))  # Rémi hands over to Nina
    check(service)
    check(service)
    handovers = journal(service, crisis_id, "ShiftHandedOver")
    redacteur = [h.payload for h in handovers if h.payload["role"] == "redacteur"]
    assert len(redacteur) == 1
    assert redacteur[0]["from_members"] == ["Rémi Rédac"]
    assert redacteur[0]["to_members"] == ["Nina Relève"]


# -- signed links ----------------------------------------------------------------------------


def link_in(text: str) -> str:
    """The path of the personal link in a page's text."""
    found = re.search(r"https?://[^/\s]+(/ack/\S+)", text)
    assert found is not None, text
    return found.group(1)


def test_link_shows_a_page_then_acknowledges_once_forged_and_expired_are_refused(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    roster(service, clock)
    crisis_id = activate(service)
    dispatch(service)
    (sms,) = fakes.sms.messages
    path = link_in(sms.text)
    client = TestClient(create_app(service))

    shown = client.get(path)
    assert shown.status_code == 200
    assert "chargé des réseaux sociaux" in shown.text and "<form" in shown.text
    assert journal(service, crisis_id, "PageAcknowledged") == []  # a GET acknowledges nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "Merci Sarah Réseaux" in done.text
    (ack,) = journal(service, crisis_id, "PageAcknowledged")
    assert ack.payload["via"] == "link"

    reused = client.post(path)
    assert reused.status_code == 410
    assert "déjà enregistré" in reused.text and "ne sert qu&#x27;une fois" in reused.text
    assert client.get(path).status_code == 410

    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    refused = client.post(forged)
    assert refused.status_code == 404
    assert "Lien invalide" in refused.text
    assert client.post("/ack/n-importe-quoi").status_code == 404

    (dm,) = fakes.telegram.messages["501"]
    other = link_in(dm.text)
    clock.advance(timedelta(hours=5))
    expired = client.post(other)
    assert expired.status_code == 410
    assert "expiré" in expired.text
    assert len(journal(service, crisis_id, "PageAcknowledged")) == 1


def test_api_callout_acknowledgement_and_views(service: Service, clock: ManualClock) -> None:
    crisis_id = activate(service, exercise=True)
    client = TestClient(create_app(service))
    officer = {"Authorization": f"Bearer {token_for(service, 'duty_officer')}"}
    auditor = {"Authorization": f"Bearer {token_for(service, 'auditor')}"}
    assert client.get("/api/v1/oncall/now", headers=auditor).json() == []
    body = {
        "shifts": [
            {
                "name": "Claire Chef",
                "role": "chef_de_cellule",
                "starts_at": (clock.now() - timedelta(hours=1)).isoformat(),
                "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
                "telegram_chat_id": "501",
            }
        ]
    }
    assert client.put("/api/v1/oncall/roster", json=body, headers=auditor).status_code == 403
    put = client.put("/api/v1/oncall/roster", json=body, headers=officer)
    assert put.status_code == 200, put.text
    assert put.json()["shifts"] == 1
    now = client.get("/api/v1/oncall/now", headers=auditor).json()
    assert [(n["role"], n["name"]) for n in now] == [("chef_de_cellule", "Claire Chef")]

    started = client.post(f"/api/v1/crises/{crisis_id}/callout", json={}, headers=officer)
    assert started.status_code == 201, started.text
    (view,) = started.json()
    assert [p["name"] for p in view["pages"]] == ["Claire Chef"]
    again = client.post(f"/api/v1/crises/{crisis_id}/callout", json={}, headers=officer)
    assert again.status_code == 409

    acked = client.post(
        f"/api/v1/crises/{crisis_id}/acknowledgements",
        json={"member_id": "claire chef"},
        headers=officer,
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["member"] == "Claire Chef"
    (after,) = client.get(f"/api/v1/crises/{crisis_id}/callouts", headers=auditor).json()
    assert after["pages"][0]["via"] == "api"
    assert after["roles"]["chef_de_cellule"] == clock.now().isoformat()
