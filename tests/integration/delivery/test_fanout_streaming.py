"""A fan-out larger than a planning chunk, on both databases: every contact planned once,
written in chunks (through COPY on PostgreSQL) and claimable as written; a refusal found
after chunks were written leaves nothing behind. An audience larger than the send's own
share is answered early and continued in the background, resumably, to the same result."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import generate_latest
from sqlalchemy import Engine, func, select

from crisis.bootstrap import Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig
from crisis.domain.commands import SendMessage
from crisis.domain.contact_commands import AddToContactList, CreateContactList, ImportContacts
from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import Audience
from crisis.fanout_runner import FanoutRunner
from crisis.services import fanout_handlers, message_handlers
from crisis.settings import Settings
from crisis.store.fanouts_repository import FanoutRepository
from crisis.store.tables import deliveries, fanouts, messages
from tests.integration.delivery.conftest import OFFICER, Fakes, open_active

ELUS = 250


def elus_csv(count: int) -> bytes:
    lines = ["nom;categorie;email;mobile;telegram;commune"]
    lines += [
        f"Élu {i:03d};elu;elu{i}@mairie.fr;06 12 {i // 100:02d} {i % 100:02d} 00;{5000 + i};"
        f"Commune {i}"
        for i in range(count)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_every_contact_is_planned_once_written_in_chunks_and_claimable(
    service: Service, engine: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A chunk of 210 then one of 40: on PostgreSQL, one written by COPY, one by INSERT.
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 210)
    service.bus.handle(ImportContacts(file_name="elus.csv", content=elus_csv(ELUS)), actor=OFFICER)
    some = [f"Élu {i:03d}" for i in range(0, ELUS, 10)]
    created = service.bus.handle(CreateContactList(name="Maires du fleuve"), actor=OFFICER)
    list_id = created.id
    with service.bus.reading() as uow:
        everyone = uow.contacts.resolve(Audience.ELUS, exercise=False)
    members = tuple(c.id for c in everyone if c.name in some)
    service.bus.handle(AddToContactList(list_ref=list_id, contact_refs=members), actor=OFFICER)
    crisis_id = open_active(service, exercise=False)

    sent = service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Crue de la Seine : évitez les berges."),),
            audiences=(Audience.ELUS,),
            lists=(list_id,),  # the same élus again: each is reached once
            channels=("telegram_dm",),
        ),
        actor=OFFICER,
    )

    assert sent.deliveries == ELUS
    with service.bus.reading() as uow:
        written = uow.outbox.deliveries_of(message_id=sent.message_id)
        journal = uow.journal.entries(crisis_id)
    assert sorted(d.contact_id or "" for d in written) == sorted(c.id for c in everyone)
    assert {d.recipient for d in written} == {str(5000 + i) for i in range(ELUS)}
    assert all(d.queued_at == clock.now() and d.status == "pending" for d in written)
    event = [e for e in journal if e.kind == "event.MessageSent"][-1]
    assert event.payload["deliveries"] == {"telegram_dm": ELUS}
    assert event.payload["unreachable"] == 0

    with service.bus.unit_of_work() as uow:
        claimed = uow.outbox.claim(
            worker="w1",
            channels=["telegram_dm"],
            now=clock.now(),
            limit=ELUS,
            lease=timedelta(seconds=60),
        )
        uow.commit()
    assert len(claimed) == ELUS
    assert {c.id for c in claimed} == {d.id for d in written}
    assert all(c.text == "Crue de la Seine : évitez les berges." for c in claimed)


def test_a_refusal_found_after_chunks_were_written_leaves_nothing(
    service: Service, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 7)
    service.bus.handle(ImportContacts(file_name="elus.csv", content=elus_csv(40)), actor=OFFICER)
    crisis_id = open_active(service, exercise=False)
    messages_before, deliveries_before = count(engine, messages), count(engine, deliveries)

    with pytest.raises(InvalidInput) as refused:
        service.bus.handle(
            SendMessage(
                crisis_id=crisis_id,
                texts=(("default", "Crue de la Seine. " * 200),),  # too long for an SMS
                audiences=(Audience.ELUS,),
                channels=("sms",),
            ),
            actor=OFFICER,
        )

    assert "dépasse la limite" in refused.value.message
    assert count(engine, messages) == messages_before
    assert count(engine, deliveries) == deliveries_before


def elus_and_media_csv(elus: int, media: int, *, reachable_every: int = 1) -> bytes:
    """Élus with a Telegram chat, but one in `reachable_every` (the others have an e-mail
    address only), then journalists with a Telegram chat."""
    lines = ["nom;categorie;email;mobile;telegram;commune"]
    for i in range(elus):
        chat = str(5000 + i) if i % reachable_every == 0 else ""
        lines.append(f"Élu {i:03d};elu;elu{i}@mairie.fr;;{chat};Commune {i}")
    lines += [f"Média {i:03d};media;media{i}@journal.fr;;{8000 + i};" for i in range(media)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def journal_kinds(service: Service, crisis_id: str) -> list[str]:
    with service.bus.reading() as uow:
        return [e.kind for e in uow.journal.entries(crisis_id)]


def send_on_telegram(
    service: Service,
    crisis_id: str,
    audiences: tuple[Audience, ...] = (Audience.ELUS,),
    lists: tuple[str, ...] = (),
) -> Any:
    return service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Crue de la Seine : évitez les berges."),),
            audiences=audiences,
            lists=lists,
            channels=("telegram_dm",),
        ),
        actor=OFFICER,
    )


def test_a_large_audience_is_answered_early_and_finished_in_the_background(
    service: Service, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 7)
    monkeypatch.setattr(message_handlers, "INLINE_CONTACTS", 14)
    # 40 élus (one in four without a Telegram chat) and 12 journalists; a list naming five
    # élus (reached with their audience, once) and two people outside the audiences.
    content = elus_and_media_csv(40, 12, reachable_every=4)
    service.bus.handle(ImportContacts(file_name="annuaire.csv", content=content), actor=OFFICER)
    service.bus.handle(
        ImportContacts(
            file_name="partenaires.csv",
            content=(
                b"nom;categorie;email;mobile;telegram;commune\r\n"
                b"Syndicat des eaux;partenaire;;;7001;\r\nCroix-Rouge;partenaire;;;7002;\r\n"
            ),
        ),
        actor=OFFICER,
    )
    with service.bus.reading() as uow:
        everyone = {c.name: c for c in uow.contacts.find()}
    list_id = service.bus.handle(CreateContactList(name="Crue"), actor=OFFICER).id
    named = [f"Élu {i:03d}" for i in range(5)] + ["Syndicat des eaux", "Croix-Rouge"]
    service.bus.handle(
        AddToContactList(list_ref=list_id, contact_refs=tuple(everyone[n].id for n in named)),
        actor=OFFICER,
    )
    crisis_id = open_active(service, exercise=False)

    sent = send_on_telegram(service, crisis_id, (Audience.ELUS, Audience.MEDIA), (list_id,))

    # The list's two partners, then two chunks of élus (0 to 13): élus 0, 4, 8 and 12 have
    # a Telegram chat, the ten others cannot be reached on it.
    reachable_elus = {f"Élu {i:03d}" for i in range(40) if i % 4 == 0}
    assert not sent.complete
    with service.bus.reading() as uow:
        first = uow.outbox.deliveries_of(message_id=sent.message_id)
        fanout = uow.fanouts.get(sent.message_id)
        journal = uow.journal.entries(crisis_id)
    assert sent.deliveries == len(first) == 2 + len([i for i in range(14) if i % 4 == 0])
    assert fanout.finished_at is None and fanout.audience_index == 0
    assert fanout.after is not None and fanout.after.name == "Élu 013"
    announced = [e for e in journal if e.kind == "event.MessageSent"][-1]
    assert announced.payload["deliveries"] == {"telegram_dm": sent.deliveries}

    before = journal_kinds(service, crisis_id)
    sent_at = clock.now()
    clock.advance(timedelta(seconds=3))
    # The operations surface sees it: one fan-out unfinished, sent 3 s ago.
    metrics = generate_latest(service.metrics.registry).decode()
    assert "crisis_fanouts_unfinished 1.0" in metrics
    assert "crisis_fanouts_oldest_age_seconds 3.0" in metrics
    runner = FanoutRunner(service.bus)
    chunks = runner.run_pending()

    # 26 élus left, 12 journalists: 38 contacts, 7 at a time in each transaction (the one
    # that ends the élus goes on with the first journalists).
    assert chunks == 5
    with service.bus.reading() as uow:
        written = uow.outbox.deliveries_of(message_id=sent.message_id)
        fanout = uow.fanouts.get(sent.message_id)
    names = sorted(d.recipient_name for d in written)
    media = [f"Média {i:03d}" for i in range(12)]
    expected = sorted([*reachable_elus, *media, "Croix-Rouge", "Syndicat des eaux"])
    assert names == expected  # each once, the list's élus with their audience
    # Queued when the message was sent: latencies and retry deadlines count from the send.
    assert {d.queued_at for d in written} == {sent_at}
    assert fanout.finished_at is not None
    assert fanout.by_channel == {"telegram_dm": len(expected)}
    assert fanout.unreachable == 30
    # One journal line for the whole background work: the command that finished it and
    # its event; the chunks before it leave their deliveries as their trace.
    after = journal_kinds(service, crisis_id)
    assert after[len(before) :] == ["command.ContinueFanout", "event.FanoutCompleted"]
    with service.bus.reading() as uow:
        completed = uow.journal.entries(crisis_id)[-1]
        assert uow.journal.verify(crisis_id).ok
    assert completed.payload["deliveries"] == {"telegram_dm": len(expected)}
    assert completed.payload["unreachable"] == 30

    # Nothing left: another round writes nothing and journals nothing.
    assert runner.run_pending() == 0
    assert journal_kinds(service, crisis_id) == after
    metrics = generate_latest(service.metrics.registry).decode()
    assert "crisis_fanouts_unfinished 0.0" in metrics
    assert "crisis_fanouts_oldest_age_seconds 0.0" in metrics


def test_the_background_resumes_after_a_failed_chunk_without_writing_twice(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 5)
    monkeypatch.setattr(message_handlers, "INLINE_CONTACTS", 5)
    content = elus_and_media_csv(30, 0)
    service.bus.handle(ImportContacts(file_name="elus.csv", content=content), actor=OFFICER)
    crisis_id = open_active(service, exercise=False)
    sent = send_on_telegram(service, crisis_id)
    assert sent.deliveries == 5 and not sent.complete

    # The third chunk's write fails after its deliveries were inserted (a crash, a lost
    # connection): its transaction rolls back, the position stays where the second left.
    real_save = FanoutRepository.save
    calls = {"n": 0}

    def failing_save(self: FanoutRepository, fanout: Any) -> None:
        calls["n"] += 1
        real_save(self, fanout)
        if calls["n"] == 3:
            raise OSError("connexion perdue")

    monkeypatch.setattr(FanoutRepository, "save", failing_save)
    runner = FanoutRunner(service.bus)
    assert runner.run_pending() == 2  # two chunks committed, the third lost
    with service.bus.reading() as uow:
        assert len(uow.outbox.deliveries_of(message_id=sent.message_id)) == 15
        assert uow.fanouts.get(sent.message_id).finished_at is None

    # Another process (or the same after a restart) takes it up where it stands.
    monkeypatch.setattr(FanoutRepository, "save", real_save)
    # Three chunks of five, and a fourth that finds the audience over.
    assert FanoutRunner(service.bus).run_pending() == 4
    with service.bus.reading() as uow:
        written = uow.outbox.deliveries_of(message_id=sent.message_id)
        fanout = uow.fanouts.get(sent.message_id)
    assert sorted(d.recipient for d in written) == sorted(str(5000 + i) for i in range(30))
    assert fanout.finished_at is not None and fanout.by_channel == {"telegram_dm": 30}


def test_a_text_too_long_for_a_channel_the_background_may_use_is_refused_at_once(
    service: Service, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 5)
    monkeypatch.setattr(message_handlers, "INLINE_CONTACTS", 5)
    # No élu has a mobile: the send's own share plans no SMS, but the élus' audience is
    # served by SMS too, and a later élu might have one.
    content = elus_and_media_csv(30, 0)
    service.bus.handle(ImportContacts(file_name="elus.csv", content=content), actor=OFFICER)
    crisis_id = open_active(service, exercise=False)
    messages_before, deliveries_before = count(engine, messages), count(engine, deliveries)

    with pytest.raises(InvalidInput) as refused:
        service.bus.handle(
            SendMessage(
                crisis_id=crisis_id,
                texts=(("default", "Crue de la Seine. " * 200),),
                audiences=(Audience.ELUS,),
                channels=("telegram_dm", "sms"),
            ),
            actor=OFFICER,
        )

    assert "dépasse la limite" in refused.value.message
    assert count(engine, messages) == messages_before
    assert count(engine, deliveries) == deliveries_before
    assert count(engine, fanouts) == 0


def test_the_running_service_sends_a_large_audience_to_the_last_contact(
    engine: Engine,
    clock: ManualClock,
    settings: Settings,
    delivery: DeliveryConfig,
    fakes: Fakes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`crisis serve` as it runs: the send answers with its share, the fan-out thread
    writes the rest and wakes the dispatcher, every élu gets the message once."""
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 6)
    monkeypatch.setattr(message_handlers, "INLINE_CONTACTS", 6)
    service = bootstrap(
        settings=settings, clock=clock, engine=engine, delivery=delivery, run_dispatcher=True
    )
    try:
        content = elus_and_media_csv(40, 0)
        service.bus.handle(ImportContacts(file_name="elus.csv", content=content), actor=OFFICER)
        crisis_id = open_active(service, exercise=False)
        sent = send_on_telegram(service, crisis_id)
        assert sent.deliveries == 6 and not sent.complete
        deadline = time.monotonic() + 60  # left at once when all are sent; a loaded machine is slow
        while len(fakes.telegram.sent) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        service.close()
    assert sorted(m.chat_id for m in fakes.telegram.sent) == sorted(
        str(5000 + i) for i in range(40)
    )
    assert "event.FanoutCompleted" in journal_kinds(service, crisis_id)
