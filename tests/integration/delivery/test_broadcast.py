"""A factual message through every channel to the loopback fakes, with the outbox on both
databases: markers, clocks met at the first accepted delivery, retries, fallback, interlock."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
import xmlschema
from sqlalchemy import Engine, insert, select, update

from channels.registry import close_channels
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.dispatching import make_dispatcher
from crisis.domain.commands import CheckDeadlines, RetryDelivery, SendMessage
from crisis.domain.contact_commands import AddToContactList, CreateContactList
from crisis.domain.errors import Conflict, InvalidInput
from crisis.domain.vocabulary import Audience, ClockName, ClockState
from crisis.reporting.service import crisis_report
from crisis.services.context import SYSTEM_ACTOR
from crisis.store.tables import deliveries, delivery_attempts, publications
from tests.conftest import REPO_ROOT
from tests.integration.delivery.conftest import (
    CELL,
    OFFICER,
    Fakes,
    accepted_in_journal,
    add_people,
    open_active,
)

MARKER = "EXERCICE EXERCICE EXERCICE"
CAP_XSD = REPO_ROOT / "crisis" / "publishing" / "schemas" / "CAP-v1.2.xsd"
TEXTS = (
    ("default", "Crue de la Seine : la décrue est amorcée. Évitez les berges à Corbeil-Essonnes."),
    ("sms", "Crue de la Seine : evitez les berges a Corbeil-Essonnes. Infos : essonne.gouv.fr"),
    ("email_subject", "Crue de la Seine — point de situation"),
    ("cap_instruction", "Éloignez-vous des berges."),
)


def dispatch(
    service: Service, worker: str = "w1", *, pace: bool = True, rng: random.Random | None = None
) -> int:
    dispatcher = make_dispatcher(
        service.bus,
        service.catalog,
        clock=service.clock,
        worker=worker,
        metrics=service.metrics,
        pace=pace,
        rng=rng,
    )

    async def run() -> int:
        try:
            return await dispatcher.run_until_idle()
        finally:
            await close_channels(service.catalog.production)
            await close_channels(service.catalog.exercise)

    return asyncio.run(run())


def send(service: Service, crisis_id: str, **overrides: object) -> str:
    values: dict[str, object] = {
        "crisis_id": crisis_id,
        "texts": TEXTS,
        "audiences": (Audience.ELUS, Audience.MEDIA, Audience.PUBLIC),
    }
    values.update(overrides)
    result = service.bus.handle(SendMessage(**values), actor=CELL)  # type: ignore[arg-type]
    message_id: str = result.message_id
    return message_id


def statuses(engine: Engine, message_id: str) -> dict[tuple[str, str], str]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(deliveries.c.channel, deliveries.c.recipient, deliveries.c.status).where(
                deliveries.c.message_id == message_id
            )
        ).all()
    return {(r.channel, r.recipient): r.status for r in rows}


def test_exercise_message_reaches_every_channel_marked_and_meets_the_clocks(
    service: Service, fakes: Fakes, clock: ManualClock, engine: Engine
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    clock.advance(timedelta(minutes=12))
    message_id = send(service, crisis_id)
    planned = statuses(engine, message_id)
    # Only the people who take part in exercises: not the député, not France Bleu.
    assert sorted(planned) == sorted(
        [
            ("email", "maire@corbeil.fr"),
            ("sms", "+33611223344"),
            ("telegram_dm", "1001"),
            ("email", "maire@evry.fr"),
            ("sms", "+33655667788"),
            ("email", "redaction@republicain.fr"),
            ("telegram_dm", "2001"),
            ("feed", ""),
            ("cap", ""),
            ("x", ""),
            ("telegram_public", ""),
            ("webhook", ""),
        ]
    )
    assert dispatch(service) == 12
    assert set(statuses(engine, message_id).values()) == {"accepted"}

    assert sorted(m.chat_id for m in fakes.telegram.sent) == [
        "1001",
        "2001",
        "@prefecture_exercice",
    ]
    assert all(m.text.startswith(MARKER) for m in fakes.telegram.sent)
    assert [p.text.startswith(MARKER) for p in fakes.x.posts] == [True] * len(fakes.x.posts)
    assert sorted(m.rcpt_tos[0] for m in fakes.smtp.mails) == [
        "maire@corbeil.fr",
        "maire@evry.fr",
        "redaction@republicain.fr",
    ]
    for mail in fakes.smtp.mails:
        assert str(mail.message["Subject"]).startswith(f"{MARKER} – Crue de la Seine")
        assert mail.message.get_body(("plain",)).get_content().startswith(MARKER)  # type: ignore[union-attr]
    assert sorted(s.to for s in fakes.sms.messages) == ["+33611223344", "+33655667788"]
    assert all(s.text.startswith(MARKER) for s in fakes.sms.messages)
    (hook,) = fakes.webhook.received
    assert hook.json()["text"].startswith(MARKER)

    with service.bus.unit_of_work() as uow:
        crisis = uow.crises.get(crisis_id)
        entries = uow.journal.entries(crisis_id)
        assert uow.journal.verify(crisis_id).ok
    accepted = accepted_in_journal(entries)
    assert len(accepted) == 12
    for clock_name, audience in (
        (ClockName.ELUS, "elus"),
        (ClockName.MEDIA, "media"),
        (ClockName.PUBLIC, "public"),
    ):
        first = min(a["accepted_at"] for a in accepted if a["audience"] == audience)
        state = crisis.clocks[clock_name]
        assert state.state is ClockState.MET
        assert state.met_at is not None and state.met_at.isoformat() == first
    assert crisis.clocks[ClockName.CELL].state is ClockState.RUNNING


def test_cap_alert_of_an_exercise_is_valid_and_marked_exercise(
    service: Service, fakes: Fakes, engine: Engine, clock: ManualClock
) -> None:
    crisis_id = open_active(service, exercise=True)
    first = send(service, crisis_id, audiences=(Audience.PUBLIC,), channels=("cap", "feed"))
    dispatch(service)
    clock.advance(timedelta(minutes=30))
    second = send(
        service,
        crisis_id,
        audiences=(Audience.PUBLIC,),
        channels=("cap",),
        msg_type="update",
        references_id=first,
    )
    dispatch(service)
    with engine.connect() as connection:
        documents = connection.execute(
            select(publications.c.message_id, publications.c.document, publications.c.exercise)
            .where(publications.c.kind == "cap")
            .order_by(publications.c.published_at)
        ).all()
    schema = xmlschema.XMLSchema(str(CAP_XSD))
    assert [d.message_id for d in documents] == [first, second]
    for document in documents:
        schema.validate(document.document)
        assert document.exercise is True
        assert "<status>Exercise</status>" in document.document
    assert "<msgType>Update</msgType>" in documents[1].document
    assert f",{first}," in documents[1].document  # references: sender,identifier,sent


def test_real_event_carries_no_marker(service: Service, fakes: Fakes) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=False)
    send(service, crisis_id, audiences=(Audience.ELUS,))
    dispatch(service)
    assert len(fakes.smtp.mails) == 3  # every élu, exercise participant or not
    assert all("EXERCICE" not in str(m.message["Subject"]) for m in fakes.smtp.mails)
    assert all(not s.text.startswith("EXERCICE") for s in fakes.sms.messages)


def test_list_with_non_participants_is_refused_in_an_exercise(
    service: Service, engine: Engine
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    service.bus.handle(CreateContactList(name="Maires et député"), actor=OFFICER)
    service.bus.handle(
        AddToContactList(
            list_ref="Maires et député", contact_refs=("maire@corbeil.fr", "depute@assemblee.fr")
        ),
        actor=OFFICER,
    )
    with pytest.raises(Conflict, match="ne participent pas aux exercices"):
        send(service, crisis_id, audiences=(), lists=("Maires et député",))
    with engine.connect() as connection:
        assert connection.execute(select(deliveries.c.id)).all() == []
    with service.bus.unit_of_work() as uow:
        kinds = [e.kind for e in uow.journal.entries(crisis_id)]
    assert kinds[-1] == "refused.SendMessage"


def test_dispatcher_refuses_a_forged_exercise_delivery(
    service: Service, fakes: Fakes, engine: Engine, clock: ManualClock
) -> None:
    """Even a row written behind the service's back cannot reach a non-participant."""
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    message_id = send(service, crisis_id, audiences=(Audience.ELUS,), channels=("email",))
    with service.bus.unit_of_work() as uow:
        depute = next(c for c in uow.contacts.find() if c.name == "Député")
    with engine.begin() as connection:
        connection.execute(
            insert(deliveries).values(
                id="forged",
                message_id=message_id,
                crisis_id=crisis_id,
                audience="elus",
                channel="email",
                recipient_kind="email",
                recipient="depute@assemblee.fr",
                recipient_name="Député",
                contact_id=depute.id,
                status="pending",
                attempts=0,
                queued_at=clock.now(),
                next_attempt_at=clock.now(),
            )
        )
    dispatch(service)
    assert "depute@assemblee.fr" not in {m.rcpt_tos[0] for m in fakes.smtp.mails}
    assert statuses(engine, message_id)[("email", "depute@assemblee.fr")] == "refused"
    with service.bus.unit_of_work() as uow:
        failed = [
            e.payload for e in uow.journal.entries(crisis_id) if e.kind == "event.DeliveryFailed"
        ]
    assert failed[0]["refused"] is True
    assert failed[0]["reason"] == "destinataire non autorisé en exercice"


def test_rate_limit_is_retried_after_its_delay(
    service: Service, fakes: Fakes, engine: Engine, clock: ManualClock
) -> None:
    crisis_id = open_active(service, exercise=True)
    fakes.sms.rate_limit_next(1, retry_after=0.01)
    add_people(service)
    message_id = send(service, crisis_id, audiences=(Audience.ELUS,), channels=("sms",))
    dispatch(service)
    assert sorted(statuses(engine, message_id).values()) == ["accepted", "pending"]
    clock.advance(timedelta(seconds=1))
    dispatch(service)
    assert set(statuses(engine, message_id).values()) == {"accepted"}
    with engine.connect() as connection:
        outcomes = sorted(connection.execute(select(delivery_attempts.c.outcome)).scalars())
    assert outcomes == ["accepted", "accepted", "retry"]


def test_permanent_failure_falls_back_to_sms_and_alerts_the_duty_officer(
    service: Service, fakes: Fakes, engine: Engine
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    fakes.telegram.blocked_chats.add("1001")
    message_id = send(service, crisis_id, audiences=(Audience.ELUS,), channels=("telegram_dm",))
    dispatch(service)
    final = statuses(engine, message_id)
    assert final[("telegram_dm", "1001")] == "failed"
    assert final[("sms", "+33611223344")] == "accepted"  # the fallback
    assert [s.to for s in fakes.sms.messages] == ["+33611223344"]
    # The duty officer is told, by e-mail; the cabinet by Telegram.
    alert_mails = [m for m in fakes.smtp.mails if m.rcpt_tos == ("permanence@prefecture.gouv.fr",)]
    assert len(alert_mails) == 1
    assert "échec définitif" in str(alert_mails[0].message["Subject"])
    plain = alert_mails[0].message.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "en échec définitif (Telegram (message personnel))" in body
    assert ".." not in body and "telegram_dm" not in body
    with service.bus.unit_of_work() as uow:
        failed = [
            e.payload for e in uow.journal.entries(crisis_id) if e.kind == "event.DeliveryFailed"
        ]
    assert failed[0]["fallback_delivery_id"] is not None


def test_a_fallback_counts_as_a_delivery_of_its_own_in_the_report(
    service: Service, fakes: Fakes, engine: Engine
) -> None:
    """Corbeil by Telegram (blocked: SMS fallback) and SMS, Évry by SMS: three SMS sent and
    accepted, and the report counts three deliveries, not two deliveries and three
    acceptances."""
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    fakes.telegram.blocked_chats.add("1001")
    message_id = send(
        service, crisis_id, audiences=(Audience.ELUS,), channels=("telegram_dm", "sms")
    )
    dispatch(service)
    assert sorted(s.to for s in fakes.sms.messages) == [
        "+33611223344",
        "+33611223344",
        "+33655667788",
    ]
    with service.bus.unit_of_work() as uow:
        entries = uow.journal.entries(crisis_id)
        report = crisis_report(uow, crisis_id, now=service.clock.now())
    (failure,) = [e.payload for e in entries if e.kind == "event.DeliveryFailed"]
    sms_batches = [
        e.payload
        for e in entries
        if e.kind == "event.DeliveriesAccepted" and e.payload["channel"] == "sms"
    ]
    # The acceptance names the fallback among its deliveries.
    marked = [d for batch in sms_batches for d in batch["fallbacks"]]
    assert marked == [failure["fallback_delivery_id"]]
    (message,) = [m for m in report.messages if m.message_id == message_id]
    counts = {
        c.channel: (c.deliveries, c.fallbacks, c.accepted, c.failed) for c in message.channels
    }
    assert counts == {"sms": (3, 1, 3, 0), "telegram_dm": (1, 0, 0, 1)}


def test_a_channel_that_is_down_does_not_hold_the_others(
    service: Service, fakes: Fakes, engine: Engine, clock: ManualClock
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    fakes.smtp.go_down()
    message_id = send(service, crisis_id, audiences=(Audience.ELUS,))
    dispatch(service)
    after = statuses(engine, message_id)
    assert {k: v for k, v in after.items() if k[0] == "email"} == {
        ("email", "maire@corbeil.fr"): "pending",
        ("email", "maire@evry.fr"): "pending",
    }
    assert {v for k, v in after.items() if k[0] != "email"} == {"accepted"}
    fakes.smtp.come_back()
    clock.advance(timedelta(seconds=5))
    dispatch(service)
    assert set(statuses(engine, message_id).values()) == {"accepted"}


def test_failed_delivery_can_be_retried_by_hand(
    service: Service, fakes: Fakes, engine: Engine
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    message_id = send(service, crisis_id, audiences=(Audience.MEDIA,), channels=("email",))
    with engine.begin() as connection:
        connection.execute(update(deliveries).values(status="failed", attempts=1, last_error="x"))
        delivery_id = connection.execute(select(deliveries.c.id)).scalar_one()
    service.bus.handle(RetryDelivery(delivery_id=delivery_id), actor=CELL)
    dispatch(service)
    assert statuses(engine, message_id) == {("email", "redaction@republicain.fr"): "accepted"}
    with pytest.raises(Conflict, match="Seule une diffusion en échec"):
        service.bus.handle(RetryDelivery(delivery_id=delivery_id), actor=CELL)


def test_clock_warnings_reach_the_duty_officer_and_the_cabinet(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id = open_active(service, exercise=True)
    clock.advance(timedelta(minutes=31))
    service.bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR)
    dispatch(service)
    mails = [m for m in fakes.smtp.mails if m.rcpt_tos == ("permanence@prefecture.gouv.fr",)]
    subjects = sorted(str(m.message["Subject"]) for m in mails)
    assert len(subjects) == 4  # one per clock
    assert all(s.startswith(f"{MARKER} – Échéance dans 30 min") for s in subjects)
    cabinet = fakes.telegram.messages["9001"]
    assert len(cabinet) == 4
    assert "information des élus" in "".join(m.text for m in cabinet)


def test_channel_text_that_does_not_fit_is_refused_with_the_excess(service: Service) -> None:
    crisis_id = open_active(service, exercise=False)
    add_people(service)
    with pytest.raises(
        InvalidInput, match="sms dépasse la limite : 4 segments SMS pour 3 autorisés"
    ) as caught:
        send(service, crisis_id, audiences=(Audience.ELUS,), texts=(("default", "Crue. " * 80),))
    assert caught.value.field == "texts.default"
