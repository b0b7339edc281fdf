"""The replay's fold against the live model: random command sequences on a moved clock.

Each sequence runs through the service's command bus on a clock moved by hand. After the
commands of each instant, the live state is read from the store's own tables (the event and
its clocks, the raised alerts, the CIP, the drafts, the call-out's pages, the outbox's
deliveries): what the model says, not the journal. At the end, the event is rebuilt from its
journal alone at every recorded instant, and must say the same thing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from channels.dispatcher import Outcome as DeliveryOutcome
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.domain.commands import (
    CheckDeadlines,
    CloseCrisis,
    CodDecision,
    CorrectClock,
    DeclareCellOperational,
    OpenCrisis,
    RecordDelivery,
    RetryDelivery,
    SendMessage,
)
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.draft_commands import (
    ApproveDraft,
    ComposeMessage,
    RejectDraft,
    SendDraft,
    SubmitDraft,
)
from crisis.domain.errors import DomainError
from crisis.domain.oncall import (
    AcknowledgePage,
    CellRole,
    CheckCallouts,
    DeclareCipOperational,
    ImportRoster,
    OrderCip,
    ShiftInput,
    StartCallout,
)
from crisis.domain.vocabulary import Audience, ClockName, CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.services.oncall_views import callouts_view, cip_view
from crisis.services.situation import Situation, fold
from crisis.services.situation_cache import SituationCache
from crisis.services.views import alert_view, crisis_view
from crisis.settings import Settings
from crisis.store.tables import channel_health
from tests.conftest import wipe
from tests.integration.replay.night import dispatch, quiet_delivery

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u-officer")
CELL = Actor(name="cellule", role="comm_cell", user_id="u-cell")
PREFECT = Actor(name="préfète", role="prefect", user_id="u-prefect")
START = datetime.fromisoformat("2026-11-29T18:30:00+00:00")
TEXTS = (("default", "Crue de la Seine : évitez les berges."), ("email_subject", "Crue"))
VARIABLES = {
    "evenement": "crue de la Seine",
    "communes": ["Corbeil-Essonnes"],
    "survenu_le": "2026-11-29T19:00:00+01:00",
    "situation": "La Seine déborde à Corbeil-Essonnes.",
    "mesures": "Le COD est activé.",
    "contact": "01 69 91 91 91",
}


def _service(engine: Engine, clock: ManualClock, data_dir: Path) -> Service:
    wipe(engine)
    service = bootstrap(
        settings=Settings(data_dir=data_dir, approval_audiences=["media"]),
        clock=clock,
        engine=engine,
        delivery=quiet_delivery(),
        scheduler_mode=SchedulerMode.NONE,
    )
    people = [
        ContactInput(name="Maire de Corbeil", category="elu", email="m@corbeil.example"),
        ContactInput(name="Maire d'Évry", category="elu", telegram_chat_id="1001"),
        ContactInput(name="Le Républicain", category="media", email="r@journal.example"),
    ]
    for person in people:
        service.bus.handle(CreateContact(contact=person), actor=OFFICER)
    until = START + timedelta(days=2)
    roster = (
        ShiftInput("Chloé Chef", CellRole.CHEF_DE_CELLULE, START, until, email="c@p.example"),
        ShiftInput("Rémi Rédac", CellRole.REDACTEUR, START, until, email="r@p.example"),
        ShiftInput("Inès CIP", CellRole.CHEF_DE_SALLE_CIP, START, until, email="i@p.example"),
    )
    service.bus.handle(ImportRoster(shifts=roster), actor=SYSTEM_ACTOR)
    return service


class Run:
    """One sequence: the service, its event and the live states recorded instant by instant."""

    def __init__(self, service: Service, clock: ManualClock) -> None:
        self.service, self.clock = service, clock
        self.crisis_id: str = service.bus.handle(
            OpenCrisis(
                title="Crue de la Seine",
                kind=CrisisKind.INONDATION,
                exercise=False,
                communes=("Corbeil-Essonnes",),
                activation=CodDecision(decided_by="préfète", synergi_ref="SYN-91-1"),
            ),
            actor=OFFICER,
        )
        self.recorded: dict[datetime, dict[str, Any]] = {}

    def do(self, command: object, actor: Actor) -> Any:
        try:
            return self.service.bus.handle(command, actor=actor)  # type: ignore[arg-type]
        except DomainError:
            return None  # refused (a closed event, a draft in the wrong state): journalled

    def deliveries(self, status: str) -> list[Any]:
        with self.service.bus.reading() as uow:
            return [
                d for d in uow.outbox.deliveries_of(crisis_id=self.crisis_id) if d.status == status
            ]

    def dispatch(self, count: int, outcome: DeliveryOutcome) -> None:
        with contextlib.suppress(DomainError):  # refused (a closed event): journalled
            dispatch(self.service, self.crisis_id, outcome, limit=count)

    def draft_ids(self, state: str) -> list[str]:
        with self.service.bus.reading() as uow:
            return [d.id for d in uow.drafts.of_crisis(self.crisis_id) if d.state.value == state]

    def member_ids(self) -> list[str]:
        with self.service.bus.reading() as uow:
            return sorted(
                p["member_id"]
                for c in callouts_view(uow, self.crisis_id)
                for p in c["pages"]
                if p["acknowledged_at"] is None
            )

    def record(self) -> None:
        self.recorded[self.clock.now()] = live_state(self.service, self.crisis_id)


def _send(run: Run, audience: Audience) -> None:
    run.do(SendMessage(crisis_id=run.crisis_id, texts=TEXTS, audiences=(audience,)), CELL)


def _compose(run: Run, audience: Audience) -> None:
    run.do(
        ComposeMessage(
            crisis_id=run.crisis_id,
            template="information_elus",
            variables=VARIABLES,
            audiences=(audience,),
            channels=("email", "telegram_dm"),  # no voice: no speech synthesis to measure
        ),
        CELL,
    )


def _on_first(
    state: str, make: Callable[[str, str], object], actor: Actor
) -> Callable[[Run], None]:
    def act(run: Run) -> None:
        found = run.draft_ids(state)
        if found:
            run.do(make(run.crisis_id, found[0]), actor)

    return act


def _acknowledge(run: Run) -> None:
    members = run.member_ids()
    if members:
        command = AcknowledgePage(via="console", member_id=members[0], crisis_id=run.crisis_id)
        run.do(command, OFFICER)


def _retry(run: Run) -> None:
    failed = run.deliveries("failed")
    if failed:
        run.do(RetryDelivery(delivery_id=failed[0].id), CELL)


ACTIONS: dict[str, Callable[[Run], None]] = {
    "cellule": lambda r: r.do(DeclareCellOperational(crisis_id=r.crisis_id, note="en place"), CELL),
    "échéances": lambda r: r.do(CheckDeadlines(crisis_id=r.crisis_id), SYSTEM_ACTOR),
    "retrait": lambda r: r.do(
        CorrectClock(crisis_id=r.crisis_id, clock=ClockName.CELL, reason="erreur", met_at=None),
        OFFICER,
    ),
    "envoi élus": lambda r: _send(r, Audience.ELUS),
    "envoi public": lambda r: _send(r, Audience.PUBLIC),
    "rédaction élus": lambda r: _compose(r, Audience.ELUS),
    "envoi médias": lambda r: _send(r, Audience.MEDIA),  # held: the media need approval
    "soumission": _on_first("draft", lambda c, d: SubmitDraft(crisis_id=c, draft_id=d), CELL),
    "validation": _on_first(
        "submitted", lambda c, d: ApproveDraft(crisis_id=c, draft_id=d), PREFECT
    ),
    "refus": _on_first(
        "submitted", lambda c, d: RejectDraft(crisis_id=c, draft_id=d, reason="non"), PREFECT
    ),
    "envoi validé": _on_first("approved", lambda c, d: SendDraft(crisis_id=c, draft_id=d), CELL),
    "acceptations": lambda r: r.dispatch(3, DeliveryOutcome.ACCEPTED),
    "échecs": lambda r: r.dispatch(3, DeliveryOutcome.FAILED),
    "sans réponse": lambda r: r.dispatch(3, DeliveryOutcome.RETRY),
    "relance": _retry,
    "appel": lambda r: r.do(StartCallout(crisis_id=r.crisis_id), OFFICER),
    "contrôle des appels": lambda r: r.do(CheckCallouts(crisis_id=r.crisis_id), SYSTEM_ACTOR),
    "accusé": _acknowledge,
    "cip": lambda r: r.do(OrderCip(crisis_id=r.crisis_id, numero_unique="01 69 91 91 91"), PREFECT),
    "cip opérationnelle": lambda r: r.do(DeclareCipOperational(crisis_id=r.crisis_id), CELL),
    "hors service": lambda r: r.do(
        RecordDelivery(
            crisis_id=r.crisis_id,
            audience=Audience.MEDIA,
            delivered_at=r.clock.now() - timedelta(minutes=1),
            means="conférence de presse",
            recipients="presse locale",
        ),
        OFFICER,
    ),
    "clôture": lambda r: r.do(CloseCrisis(crisis_id=r.crisis_id, reason="décrue"), PREFECT),
}

STEPS = st.lists(
    st.tuples(st.sampled_from(sorted(ACTIONS)), st.integers(min_value=0, max_value=900)),
    min_size=1,
    max_size=14,
)


def live_state(service: Service, crisis_id: str) -> dict[str, Any]:
    """What the store's tables say of the event (not its journal)."""
    with service.bus.reading() as uow:
        crisis = uow.crises.get(crisis_id)
        messages: dict[str, dict[str, Any]] = {}
        for message in uow.outbox.messages_of(crisis_id):
            counts = uow.outbox.counts(message_id=message.id)
            figures: dict[str, dict[str, int]] = {}
            pending = 0
            for (channel, status), count in counts.items():
                if status in ("pending", "in_flight"):
                    pending += count
                elif status in ("accepted", "failed", "refused"):
                    figures.setdefault(channel, {})[status] = count
            messages[message.id] = {"channels": figures, "pending": pending}
        return {
            "crisis": crisis_view(crisis).model_dump(),
            "alerts": [alert_view(a).model_dump() for a in uow.crises.alerts(crisis_id)],
            "cip": cip_view(uow, crisis_id),
            "drafts": sorted(
                (d.id, d.state.value, d.submitted_at, d.decided_by, d.message_id)
                for d in uow.drafts.of_crisis(crisis_id)
            ),
            "pages": sorted(
                (p["page_id"], p["member_id"], p["role"], p["round"], p["acknowledged_at"])
                for c in callouts_view(uow, crisis_id)
                for p in c["pages"]
            ),
            "quorum": sorted(
                (c["callout_id"], c["team"], c["quorum_reached_at"])
                for c in callouts_view(uow, crisis_id)
            ),
            "messages": messages,
            "down": sorted(
                uow.connection.execute(
                    select(channel_health.c.channel).where(channel_health.c.down_since.is_not(None))
                ).scalars()
            ),
        }


def rebuilt_state(situation: Situation) -> dict[str, Any]:
    """The same reading, of the event rebuilt from its journal."""
    assert situation.crisis is not None
    messages: dict[str, dict[str, Any]] = {}
    for message in situation.messages:
        figures: dict[str, dict[str, int]] = {}
        for channel, f in message.channels.items():
            for status in ("accepted", "failed", "refused"):
                if getattr(f, status):
                    figures.setdefault(channel, {})[status] = getattr(f, status)
        messages[message.message_id] = {"channels": figures, "pending": message.pending}
    return {
        "crisis": crisis_view(situation.crisis).model_dump(),
        "alerts": [alert_view(a).model_dump() for a in situation.alerts],
        "cip": situation.cip,
        "drafts": sorted(
            (d.draft_id, d.state, d.submitted_at, d.decided_by, d.message_id)
            for d in situation.drafts
        ),
        "pages": sorted(
            (
                p.page_id,
                p.member_id,
                p.role,
                p.round,
                p.acknowledged_at.isoformat() if p.acknowledged_at else None,
            )
            for c in situation.callouts
            for p in c.pages
        ),
        "quorum": sorted(
            (
                c.callout_id,
                c.team,
                c.quorum_reached_at.isoformat() if c.quorum_reached_at else None,
            )
            for c in situation.callouts
        ),
        "messages": messages,
        "down": sorted(o.channel for o in situation.channels_down),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
# A channel that keeps failing is declared down (5 failures in a row, or 2 minutes), its
# waiting deliveries go to another channel, then it comes back.
@example(
    steps=[("envoi élus", 0)] * 5
    + [("sans réponse", 60)] * 4
    + [("acceptations", 60), ("sans réponse", 0), ("relance", 0), ("acceptations", 0)]
)
def test_the_event_rebuilt_at_each_instant_is_the_live_event_of_that_instant(
    migrated_engine: Engine, tmp_path: Path, steps: list[tuple[str, int]]
) -> None:
    clock = ManualClock(START)
    service = _service(migrated_engine, clock, tmp_path)
    run = Run(service, clock)
    run.record()
    for action, seconds in steps:
        clock.advance(timedelta(seconds=seconds + 1))
        ACTIONS[action](run)
        run.record()
    # A small checkpoint weight: the rebuild starts from checkpoints as well as from nothing.
    cache = SituationCache(checkpoint_weight=3)
    with service.bus.reading() as uow:
        for instant, live in run.recorded.items():
            assert rebuilt_state(cache.at(uow.journal, run.crisis_id, instant)) == live, instant
        everything = uow.journal.entries(run.crisis_id)
    final = fold(run.crisis_id, everything).situation(clock.now())
    assert rebuilt_state(final) == live_state(service, run.crisis_id)
