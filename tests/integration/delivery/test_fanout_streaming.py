"""A fan-out larger than a planning chunk, on both databases: every contact planned once,
written in chunks (through COPY on PostgreSQL) and claimable as
written; a refusal found after chunks were written leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import SendMessage
from crisis.domain.contact_commands import AddToContactList, CreateContactList, ImportContacts
from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import Audience
from crisis.services import message_handlers
from crisis.store.tables import deliveries, messages
from tests.integration.delivery.conftest import OFFICER, open_active

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
    monkeypatch.setattr(message_handlers, "PLAN_CHUNK", 210)
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
    monkeypatch.setattr(message_handlers, "PLAN_CHUNK", 7)
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
