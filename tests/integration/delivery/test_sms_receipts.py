"""SMS over SMPP through the whole service: the SMSC's receipts matched to deliveries, kept in
the store, journalled per message, meeting the élus' clock when asked, and the élus whose
phone was not reached written to by e-mail instead."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from typer.testing import CliRunner

from channels.config import ChannelsConfig, EmailConfig, SmppConfig
from channels.contract import HandsetReceipt
from channels.registry import close_channels
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.cli import app
from crisis.clock import PARIS, ManualClock
from crisis.delivery.config import DeliveryConfig, DispatcherSettings, RetrySettings
from crisis.dispatching import make_dispatcher
from crisis.domain.commands import AddUser, RecordHandsetReceipts, SendMessage
from crisis.domain.contact_commands import ContactInput
from crisis.domain.messages import ChannelName
from crisis.domain.oncall import CellRole, ImportRoster, ShiftInput
from crisis.domain.vocabulary import Audience, ClockName
from crisis.reporting.document import build_document
from crisis.reporting.indicators_render import to_html
from crisis.reporting.indicators_service import indicators_view
from crisis.reporting.service import crisis_report
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from crisis.store.outbox_repository import DeliveryRow
from tests.fakes.smtp import FakeSmtpServer
from tests.integration.delivery.conftest import CELL, add_people, open_active, token_for
from tests.integration.web.conftest import PASSWORD as WEB_PASSWORD
from tests.integration.web.conftest import new_client, sign_in
from tests.peers.smsc_server import Smsc, running_smsc

ACCOUNTS = {"prefecture": "s3cret", "prefecture-ex": "ex3rcice"}
ELUS = [
    ContactInput(
        name=f"Maire {n}",
        category="elu",
        email=f"maire{n}@commune.fr",
        mobile=f"+3361122330{n}",
        commune="Corbeil-Essonnes",
        exercise=True,
    )
    for n in range(3)
]
TEXTS = (("default", "Crue de la Seine : évacuation des berges à Corbeil, rejoignez le gymnase."),)


@pytest.fixture(scope="module")
def smsc() -> Iterator[Smsc]:
    with running_smsc(ACCOUNTS) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as server:
        yield server


def smpp(smsc: Smsc, *, production: bool) -> SmppConfig:
    return SmppConfig(
        protocol="smpp",
        host=smsc.host,
        port=smsc.port,
        system_id="prefecture" if production else "prefecture-ex",
        password=SecretStr("s3cret" if production else "ex3rcice"),
        source_addr="PREF91",
        rate_per_second=200,
        production=production,
    )


def make_service(
    engine: Engine, clock: ManualClock, settings: Settings, smsc: Smsc, smtp: FakeSmtpServer
) -> Service:
    email = EmailConfig(
        host="127.0.0.1",
        port=smtp.port,
        security="none",
        from_address="communication@prefecture.gouv.fr",
    )
    delivery = DeliveryConfig(
        production=ChannelsConfig(sms=smpp(smsc, production=True), email=email),
        exercise=ChannelsConfig(sms=smpp(smsc, production=False)),
        audiences={Audience.ELUS: [ChannelName.SMS]},
        fallbacks={ChannelName.SMS: ChannelName.EMAIL},
        dispatcher=DispatcherSettings(
            idle_seconds=0.05, retry=RetrySettings(base_seconds=0.01, max_delay_seconds=0.05)
        ),
    )
    return bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=delivery,
        scheduler_mode=SchedulerMode.NONE,
    )


@pytest.fixture
def service(
    engine: Engine, clock: ManualClock, settings: Settings, smsc: Smsc, smtp: FakeSmtpServer
) -> Service:
    smsc.reset()
    return make_service(engine, clock, settings, smsc, smtp)


def deliveries(service: Service, message_id: str) -> list[DeliveryRow]:
    with service.bus.unit_of_work() as uow:
        return uow.outbox.deliveries_of(message_id=message_id)


def dispatch_until(service: Service, done: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Run the dispatcher until idle, then keep its links up until `done()` (receipts)."""
    dispatcher = make_dispatcher(
        service.bus, service.catalog, clock=service.clock, worker="w1", metrics=service.metrics
    )

    async def run() -> None:
        try:
            await dispatcher.run_until_idle()
            async with asyncio.timeout(timeout):
                while not await asyncio.to_thread(done):
                    await asyncio.sleep(0.02)
            await dispatcher.run_until_idle()  # the fallbacks the receipts asked for
        finally:
            await close_channels(service.catalog.production)
            await close_channels(service.catalog.exercise)

    asyncio.run(run())


def send_to_elus(service: Service, crisis_id: str) -> str:
    result = service.bus.handle(
        SendMessage(crisis_id=crisis_id, texts=TEXTS, audiences=(Audience.ELUS,)), actor=CELL
    )
    message_id: str = result.message_id
    return message_id


def message_to_elus(
    service: Service, smsc: Smsc, *, receipts: str, elus: int = 3, exercise: bool = False
) -> tuple[str, str]:
    """A factual message to `elus` élus in an active crisis; the SMSC answers with `receipts`."""
    smsc.configure(receipt_mode=receipts)
    add_people(service, ELUS[:elus])
    crisis_id = open_active(service, exercise=exercise)
    return crisis_id, send_to_elus(service, crisis_id)


def journal(service: Service, crisis_id: str, kind: str) -> list[dict[str, Any]]:
    with service.bus.unit_of_work() as uow:
        return [e.payload for e in uow.journal.iter_entries(crisis_id) if e.kind == kind]


def receipts_counted(service: Service, kind: str, route: str = "sms") -> float:
    value = service.metrics.registry.get_sample_value(
        "crisis_sms_receipts_total", {"route": route, "kind": kind}
    )
    return value or 0.0


def all_handsets_known(service: Service, message_id: str) -> Callable[[], bool]:
    return lambda: all(d.handset_status for d in deliveries(service, message_id))


@pytest.mark.parametrize("delay_ms", [0, 300], ids=["before-acceptance", "after-acceptance"])
def test_receipts_are_kept_per_delivery_and_journalled_per_message(
    service: Service, smsc: Smsc, clock: ManualClock, delay_ms: int
) -> None:
    smsc.configure(receipt_delay_ms=delay_ms)
    add_people(service, ELUS)
    crisis_id = open_active(service, exercise=False)
    message_id = send_to_elus(service, crisis_id)
    dispatch_until(service, all_handsets_known(service, message_id))
    rows = deliveries(service, message_id)
    assert len(rows) == 3
    assert {(d.status, d.handset_status, d.handset_at) for d in rows} == {
        ("accepted", "delivered", clock.now())
    }
    assert {d.handset_reason for d in rows} == {"remis au téléphone"}
    entries = journal(service, crisis_id, "event.HandsetReceiptsRecorded")
    assert 1 <= len(entries) <= 3  # per batch of receipts, never one per SMS
    reports = [r for e in entries for r in e["reports"]]
    assert sorted(r["delivery_id"] for r in reports) == sorted(d.id for d in rows)
    assert {(e["message_id"], e["channel"], e["audience"]) for e in entries} == {
        (message_id, "sms", "elus")
    }
    assert receipts_counted(service, "matched") + receipts_counted(service, "waiting") == 3
    # The élus' clock stopped at the acceptance, as before (CRISIS_ELUS_MET_ON=acceptance).
    met = journal(service, crisis_id, "event.ClockMet")
    assert [m["clock"] for m in met] == [ClockName.ELUS.value]


def receipt_for(row: DeliveryRow | str, clock: ManualClock, **overrides: Any) -> HandsetReceipt:
    """A receipt « remis » now for a delivery's SMS, or for a provider id."""
    provider_id = row if isinstance(row, str) else row.provider_message_id
    assert provider_id is not None
    values: dict[str, Any] = {
        "channel": "sms",
        "provider_message_id": provider_id,
        "delivered": True,
        "state": "DELIVRD",
        "reason": "remis au téléphone",
        "received_at": clock.now(),
    }
    values.update(overrides)
    return HandsetReceipt(**values)


def record(service: Service, *receipts: HandsetReceipt) -> dict[str, int]:
    counts: dict[str, int] = service.bus.handle(
        RecordHandsetReceipts(route="sms", receipts=receipts), actor=SYSTEM_ACTOR
    )
    return counts


def test_élus_clock_met_at_first_handset_when_asked(
    engine: Engine, clock: ManualClock, settings: Settings, smsc: Smsc, smtp: FakeSmtpServer
) -> None:
    smsc.reset()
    smsc.configure(receipt_mode="none")
    service = make_service(
        engine, clock, settings.model_copy(update={"elus_met_on": "delivery"}), smsc, smtp
    )
    add_people(service, ELUS[:1])
    crisis_id = open_active(service, exercise=False)
    message_id = send_to_elus(service, crisis_id)
    dispatch_until(service, lambda: True)
    [row] = deliveries(service, message_id)
    assert row.status == "accepted"
    assert journal(service, crisis_id, "event.ClockMet") == []  # accepted is not enough
    clock.advance(timedelta(seconds=40))
    assert record(service, receipt_for(row, clock))["matched"] == 1
    [met] = journal(service, crisis_id, "event.ClockMet")
    assert (met["clock"], met["met_by"]) == (ClockName.ELUS.value, f"diffusion {row.id} (sms)")


def test_undelivered_sms_to_an_élu_falls_back_to_email(
    service: Service, smsc: Smsc, smtp: FakeSmtpServer
) -> None:
    crisis_id, message_id = message_to_elus(service, smsc, receipts="expired", elus=2)
    dispatch_until(
        service,
        lambda: len([d for d in deliveries(service, message_id) if d.channel == "email"]) == 2,
    )
    rows = deliveries(service, message_id)
    sms_rows = [d for d in rows if d.channel == "sms"]
    assert {d.handset_status for d in sms_rows} == {"undelivered"}
    assert all(
        (d.handset_reason or "").startswith("non remis : délai de validité expiré")
        for d in sms_rows
    )
    emails = [d for d in rows if d.channel == "email"]
    assert {d.fallback_of for d in emails} == {d.id for d in sms_rows}
    assert {d.status for d in emails} == {"accepted"}
    assert sorted(m.rcpt_tos[0] for m in smtp.mails) == ["maire0@commune.fr", "maire1@commune.fr"]
    [entry] = journal(service, crisis_id, "event.HandsetReceiptsRecorded")
    assert {r["fallback_delivery_id"] for r in entry["reports"]} == {d.id for d in emails}


def test_unknown_and_duplicate_receipts_are_counted_and_ignored(
    service: Service, smsc: Smsc, clock: ManualClock
) -> None:
    crisis_id, message_id = message_to_elus(service, smsc, receipts="none", elus=2)
    dispatch_until(service, lambda: True)
    first, second = deliveries(service, message_id)
    assert record(service, receipt_for(first, clock)) == {
        "matched": 1,
        "waiting": 0,
        "duplicate": 0,
        "unknown": 0,
    }
    later = clock.now() + timedelta(minutes=5)
    unknown = receipt_for(first, clock, provider_message_id="INCONNU-1")
    twice = receipt_for(first, clock, received_at=later, delivered=False, state="EXPIRED")
    assert record(service, twice, unknown, unknown) == {
        "matched": 0,
        "waiting": 1,
        "duplicate": 2,
        "unknown": 0,
    }
    [again, _] = deliveries(service, message_id)
    assert (again.handset_status, again.handset_at) == ("delivered", clock.now())
    # An hour later, a receipt still unmatched names nothing the service sent: dropped.
    clock.advance(timedelta(hours=1, seconds=1))
    assert record(service, receipt_for(second, clock))["unknown"] == 1
    with service.bus.unit_of_work() as uow:
        assert uow.receipts.take_waiting("sms", ["INCONNU-1"]) == []
    entries = journal(service, crisis_id, "event.HandsetReceiptsRecorded")
    assert [len(e["reports"]) for e in entries] == [1, 1]


def test_exercise_receipts_come_through_the_exercise_bind(service: Service, smsc: Smsc) -> None:
    add_people(service, ELUS[:1])
    crisis_id = open_active(service, exercise=True)
    message_id = send_to_elus(service, crisis_id)
    dispatch_until(service, all_handsets_known(service, message_id))
    assert {s["system_id"] for s in smsc.state()["submits"]} == {"prefecture-ex"}
    assert receipts_counted(service, "matched", route="sms/exercice") == 1


def test_receipt_recorded_before_its_acceptance_waits_for_it(
    service: Service, smsc: Smsc, clock: ManualClock
) -> None:
    """The SMSC numbers from M00000001 after a reset: the receipt is recorded first."""
    smsc.configure(receipt_mode="none")
    add_people(service, ELUS[:1])
    crisis_id = open_active(service, exercise=False)
    assert record(service, receipt_for("M00000001", clock))["waiting"] == 1
    message_id = send_to_elus(service, crisis_id)
    dispatch_until(service, lambda: True)
    [row] = deliveries(service, message_id)
    assert (row.provider_message_id, row.handset_status) == ("M00000001", "delivered")
    [entry] = journal(service, crisis_id, "event.HandsetReceiptsRecorded")
    assert [r["delivery_id"] for r in entry["reports"]] == [row.id]


def smpp_channels_file(tmp_path: Path, smsc: Smsc, *, exercise_password: str) -> Path:
    path = tmp_path / "canaux.yaml"
    path.write_text(
        f"""
production:
  sms: {{protocol: smpp, host: {smsc.host}, port: {smsc.port}, system_id: prefecture,
         password: "${{SMPP_PASSWORD}}", source_addr: PREF91}}
exercise:
  sms: {{protocol: smpp, host: {smsc.host}, port: {smsc.port}, system_id: prefecture-ex,
         password: "{exercise_password}", source_addr: PREF91, production: false}}
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("password", "code"), [("ex3rcice", 0), ("faux", 1)])
def test_channels_check_binds_each_smpp_account(
    tmp_path: Path, database_url: str, smsc: Smsc, password: str, code: int
) -> None:
    smsc.reset()
    env = {
        "CRISIS_DATABASE_URL": database_url,
        "CRISIS_CHANNELS_FILE": str(smpp_channels_file(tmp_path, smsc, exercise_password=password)),
        "SMPP_PASSWORD": "s3cret",
    }
    result = CliRunner().invoke(app, ["channels", "check"], env=env)
    assert result.exit_code == code, result.stdout
    real, drill = (line for line in result.stdout.splitlines() if "] sms : " in line)
    assert real.startswith(f"[réel] sms : OK — Liaison SMPP acceptée par 127.0.0.1:{smsc.port}")
    if code:
        assert drill.startswith("[exercice] sms : ÉCHEC — SMSC 127.0.0.1")
        assert "mot de passe refusé (ESME_RINVPASWD)" in drill
    else:
        assert drill.startswith("[exercice] sms : OK")
    state = smsc.wait_for(lambda s: s["unbinds"] == (2 if code == 0 else 1))
    assert state["enquire_links"] == (2 if code == 0 else 1)
    assert state["submits"] == []
    assert "s3cret" not in result.stdout


def test_event_page_api_and_report_show_what_reached_the_handsets(
    service: Service, smsc: Smsc, clock: ManualClock
) -> None:
    crisis_id, message_id = message_to_elus(service, smsc, receipts="none", elus=3)
    dispatch_until(service, lambda: True)
    first, second, third = deliveries(service, message_id)
    clock.advance(timedelta(seconds=30))
    record(service, receipt_for(first, clock))
    clock.advance(timedelta(seconds=60))
    record(
        service,
        receipt_for(second, clock),
        receipt_for(third, clock, delivered=False, state="EXPIRED", reason="non remis : expiré"),
    )
    # The API: per audience and channel, and each delivery's own word.
    service.bus.handle(
        AddUser(name="cellule-web", role="comm_cell", password=WEB_PASSWORD), actor=SYSTEM_ACTOR
    )
    client = new_client(service)
    token = token_for(service, "comm_cell")
    board = client.get(
        f"/api/v1/messages/{message_id}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert board["handsets"] == [
        {
            "audience": "elus",
            "channel": "sms",
            "sent": 3,
            "accepted": 3,
            "delivered": 2,
            "undelivered": 1,
            "median_seconds": 30.0,
            "worst_seconds": 90.0,
        }
    ]
    by_id = {d["delivery_id"]: d for d in board["deliveries"]}
    assert by_id[third.id]["handset_status"] == "undelivered"
    assert by_id[third.id]["handset_reason"] == "non remis : expiré"
    # The event page: the table, and the SMS not delivered among the troubles.
    sign_in(client, "cellule-web", WEB_PASSWORD)
    page = client.get(f"/evenements/{crisis_id}").text
    assert "Remise au téléphone (accusés de l'opérateur)" in page
    assert "30 s / 90 s" in page
    assert "accepté mais non remis : expiré" in page
    # The timing report, from the journal alone.
    with service.bus.reading() as uow:
        report = crisis_report(uow, crisis_id, now=clock.now())
    [sms] = [c for m in report.messages for c in m.channels if c.channel == "sms"]
    assert (sms.handset_delivered, sms.handset_undelivered) == (2, 1)
    assert (sms.handset_p50_seconds, sms.handset_worst_seconds) == (30.0, 90.0)
    facts = dict(build_document(report).sections[2].subsections[0].facts)
    assert facts["Remise au téléphone (SMS)"].startswith("2 remis, 1 non remis ; de l'envoi")
    # The indicators, from the journal too: the same figures per audience as the event page.
    day = clock.now().astimezone(PARIS).date()
    with service.bus.reading() as uow:
        pack = indicators_view(uow, first=day, last=day, now=clock.now())
    assert [h.model_dump() for h in pack.handsets] == board["handsets"]
    assert pack.exercises.handsets == []
    assert "Remise des SMS au téléphone" in to_html(pack)
    page = client.get(f"/indicateurs?du={day.isoformat()}&au={day.isoformat()}").text
    assert "Remise des SMS au téléphone" in page
    assert '<td data-label="Envoi → téléphone, pire (s)" class="fr-cell--multiline">90' in page


def test_callout_shows_each_members_sms_as_delivered(
    service: Service, smsc: Smsc, clock: ManualClock
) -> None:
    start = clock.now() - timedelta(hours=1)
    service.bus.handle(
        ImportRoster(
            shifts=(
                ShiftInput(
                    "Chloé Chef",
                    CellRole.CHEF_DE_CELLULE,
                    start,
                    start + timedelta(hours=12),
                    mobile="+33611111111",
                ),
            )
        ),
        actor=SYSTEM_ACTOR,
    )
    crisis_id = open_active(service, exercise=False)  # the cell on call is paged at once

    def paged_sms_known() -> bool:
        with service.bus.unit_of_work() as uow:
            rows = uow.outbox.deliveries_of(crisis_id=crisis_id)
        return bool(rows) and all(r.handset_status for r in rows if r.channel == "sms")

    dispatch_until(service, paged_sms_known)
    service.bus.handle(
        AddUser(name="cadre-web", role="duty_officer", password=WEB_PASSWORD), actor=SYSTEM_ACTOR
    )
    client = new_client(service)
    sign_in(client, "cadre-web", WEB_PASSWORD)
    page = client.get(f"/evenements/{crisis_id}").text
    assert "(SMS remis au téléphone)" in page


def test_receipt_for_an_unknown_id_through_the_smsc_is_counted_and_ignored(
    service: Service, smsc: Smsc
) -> None:
    crisis_id, message_id = message_to_elus(service, smsc, receipts="none", elus=1)
    sent: list[str] = []

    def unknown_counted() -> bool:
        if not sent:  # the link is bound once the dispatcher has sent the SMS
            smsc.send_receipt(system_id="prefecture", message_id="INCONNU-7")
            sent.append("INCONNU-7")
        return receipts_counted(service, "waiting") == 1

    dispatch_until(service, unknown_counted)
    answered = smsc.wait_for(lambda s: len(s["receipts_sent"]) == 1)["receipts_sent"]
    assert answered[0]["answer"] == 0  # recorded, so acknowledged: the SMSC stops sending it
    [row] = deliveries(service, message_id)
    assert row.handset_status is None
    assert journal(service, crisis_id, "event.HandsetReceiptsRecorded") == []
