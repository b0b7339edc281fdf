"""A night of crisis for the replay's tests: channels configured and never reached (the tests
play the dispatcher themselves), a roster, and an event whose élus message waits for the
préfet at 19 h 42."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import SecretStr

from channels.config import ChannelsConfig, EmailConfig, TelegramConfig
from channels.dispatcher import DeliveryResult
from channels.dispatcher import Outcome as DeliveryOutcome
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig
from crisis.domain.commands import (
    CheckDeadlines,
    CloseCrisis,
    CodDecision,
    DeclareCellOperational,
    OpenCrisis,
    RecordDeliveryOutcomes,
    SendMessage,
)
from crisis.domain.draft_commands import ApproveDraft, SendDraft
from crisis.domain.oncall import AcknowledgePage, CellRole, ImportRoster, ShiftInput
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor

OFFICER = Actor(name="Claire Martin", role="duty_officer", user_id="u-officer")
CELL = Actor(name="Hugo Bernard", role="comm_cell", user_id="u-cell")
PREFECT = Actor(name="Préfète Durand", role="prefect", user_id="u-prefect")
# The channels of `quiet_delivery`.
CHANNELS = ("email", "telegram_dm", "telegram_public")
# 19 h 30 in Paris.
EVENING = datetime.fromisoformat("2026-11-29T18:30:00+00:00")
TEXTS = (
    ("default", "Crue de l'Orge : l'Orge déborde à Juvisy-sur-Orge. Le COD est activé."),
    ("email_subject", "Crue de l'Orge — première information"),
)


def quiet_delivery() -> DeliveryConfig:
    """E-mail and Telegram configured on a port nobody listens on: nothing is ever sent."""

    def channels(production: bool) -> ChannelsConfig:
        return ChannelsConfig(
            email=EmailConfig(
                host="127.0.0.1",
                port=9,
                security="none",
                from_address="communication@prefecture.gouv.fr",
                production=production,
            ),
            telegram=TelegramConfig(
                token=SecretStr("123456:TEST-token"),
                base_url="http://127.0.0.1:9",
                public_chat="@prefecture",
                production=production,
            ),
        )

    return DeliveryConfig.model_validate(
        {"production": channels(True), "exercise": channels(False)}
    )


def dispatch(
    service: Service,
    crisis_id: str,
    outcome: DeliveryOutcome = DeliveryOutcome.ACCEPTED,
    limit: int = 1000,
) -> None:
    """The dispatcher's word on the deliveries due, now: claimed as the real one claims them
    (the first `limit`), then accepted, failed for good, or to be tried again in a minute
    (a provider that does not answer: what declares a channel down)."""
    now = service.clock.now()
    accepted = outcome is DeliveryOutcome.ACCEPTED
    with service.bus.unit_of_work() as uow:
        claimed = uow.outbox.claim(
            worker="w", channels=CHANNELS, now=now, limit=limit, lease=timedelta(minutes=5)
        )
        uow.commit()
    results = tuple(
        DeliveryResult(
            delivery_id=d.id,
            crisis_id=d.crisis_id,
            message_id=d.message_id,
            audience=d.audience,
            channel=d.channel,
            attempt=d.attempts + 1,
            started_at=now,
            finished_at=now,
            outcome=outcome,
            provider_message_id=f"p-{d.id}" if accepted else None,
            accepted_at=now if accepted else None,
            error=None if accepted else "le fournisseur ne répond pas",
            next_attempt_at=now + timedelta(minutes=1)
            if outcome is DeliveryOutcome.RETRY
            else None,
        )
        for d in claimed
        if d.crisis_id == crisis_id
    )
    if results:
        service.bus.handle(RecordDeliveryOutcomes(worker="w", results=results), actor=SYSTEM_ACTOR)


def night(service: Service, clock: ManualClock) -> str:
    """19 h 30 COD and with it the cell's call-out; 19 h 35 the élus message submitted; 19 h 39 the chef
    acknowledges; 19 h 55 the préfète approves, sent at once, accepted at 19 h 58; 20 h 05
    cell operational; 20 h 31 the media clock breaches; 21 h 00 closed."""
    clock.set(EVENING - timedelta(hours=1))
    until = EVENING + timedelta(hours=12)
    roster = (
        ShiftInput("Chloé Chef", CellRole.CHEF_DE_CELLULE, clock.now(), until, email="c@p.example"),
        ShiftInput("Rémi Rédac", CellRole.REDACTEUR, clock.now(), until, email="r@p.example"),
    )
    service.bus.handle(ImportRoster(shifts=roster), actor=SYSTEM_ACTOR)
    clock.set(EVENING)
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de l'Orge",
            kind=CrisisKind.INONDATION,
            exercise=True,
            communes=("Juvisy-sur-Orge",),
            activation=CodDecision(decided_by="Préfète Durand", synergi_ref="SYN-91-42"),
        ),
        actor=OFFICER,
    )

    def at(minutes: int) -> None:
        clock.set(EVENING + timedelta(minutes=minutes))

    at(5)
    # Held for the préfète's approval (every audience needs it, by default): a draft submitted.
    held = service.bus.handle(
        SendMessage(crisis_id=crisis_id, texts=TEXTS, audiences=(Audience.ELUS,)), actor=CELL
    )
    draft_id: str = held.draft_id
    at(9)
    with service.bus.reading() as uow:
        chef = next(m for m in uow.oncall.members() if m.name == "Chloé Chef")
    service.bus.handle(
        AcknowledgePage(via="console", member_id=chef.id, crisis_id=crisis_id), actor=OFFICER
    )
    at(25)
    service.bus.handle(ApproveDraft(crisis_id=crisis_id, draft_id=draft_id), actor=PREFECT)
    service.bus.handle(SendDraft(crisis_id=crisis_id, draft_id=draft_id), actor=CELL)
    at(28)
    dispatch(service, crisis_id)
    at(35)
    service.bus.handle(DeclareCellOperational(crisis_id=crisis_id, note=""), actor=OFFICER)
    at(61)
    service.bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR)
    at(90)
    service.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="décrue"), actor=PREFECT)
    at(180)
    return crisis_id
