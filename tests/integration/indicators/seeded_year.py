"""A year of events and exercises built through the real commands, on frozen time.

All instants are UTC. The hand-computed figures the tests expect are written next to each
event; Paris is UTC+1 in winter and UTC+2 in summer.

Real events of 2026:
  R1 15 Jan 08:00  cell 35 · élus 20 (téléphone) · public 30 (site internet) · media 40;
                   the élus' deliveries are recorded out of order: a radio spot at 30 is
                   recorded at 8:30, the call made at 20 only at 8:36 (its entry holds the 20)
  R2 10 Mar 14:00  cell 50 · élus 45 (téléphone) · public 70 late · media 55
  R3 20 May 06:00  cell 25 · élus 15 (SMS) · public 25 · media breached at +61, never met;
                   CIP ordered +30, operational +70 (40 min), numéro unique queued then
                   accepted by the public page's channels at +72: published
  R4  1 Aug 10:00  cell 75 late · élus, public, media 30; CIP ordered +10, operational +100
                   (90 min after the order, late), ordered on a bus without channels: numéro never published
  R5  5 Sep 12:00  reported, closed at 13:00 without COD activation
  R6 10 Oct 09:00  every clock 10 min, CIP ordered +20, then its journal is tampered with:
                   excluded, and nothing but its exclusion said of it
  R7 31 Dec 22:40  (23:40 in Paris, still 2026) élus 50 at 23:30 (00:30 on 1 Jan in Paris);
                   cell, public and media still running when the figures are computed
Exercises: E1 2 Apr 09:00 (hand-run): cell 30 · élus 40 · public 65 late · media 20.
Programme « Exercice trimestriel », 15 Jan/Apr/Jul/Oct at 9:00 Paris: January held
(3 clocks met of 4), April missed (swept two days late), July failed, October never swept.
On demand (« Jouer maintenant », `PlayDrill`): 3 Nov 10:00, held, 4 clocks met of 4.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory, StepTickTimeFactory, TickingDateTimeFactory
from sqlalchemy import Engine, text

from channels.dispatcher import DeliveryResult
from channels.dispatcher import Outcome as DeliveryOutcome
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.domain.commands import (
    CheckDeadlines,
    CloseCrisis,
    CodDecision,
    DeclareCellOperational,
    OpenCrisis,
    RecordDelivery,
    RecordDeliveryOutcomes,
)
from crisis.domain.oncall import DeclareCipOperational, OrderCip
from crisis.domain.programme import (
    AddDrillSchedule,
    DrillClaim,
    DrillMode,
    PlayDrill,
    RecordDrillRun,
    RunDueDrills,
)
from crisis.domain.retex import (
    ActionState,
    CorrectiveActionInput,
    RecordRetex,
    UpdateRetexAction,
)
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.services.retex_views import current_retex
from crisis.settings import Settings

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u-officer")
CELL = Actor(name="cellule", role="comm_cell", user_id="u-cell")
PREFECT = Actor(name="préfet", role="prefect", user_id="u-prefect")
YEAR_END = datetime(2026, 12, 31, 23, 35, tzinfo=UTC)  # when the figures are computed


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Year:
    service: Service
    ids: dict[str, str] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)


def year_settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, approval_audiences=[], callout_on_activation=False)


class _Builder:
    def __init__(
        self,
        service: Service,
        frozen: FrozenDateTimeFactory | StepTickTimeFactory | TickingDateTimeFactory,
    ) -> None:
        self.service = service
        self.bus = service.bus
        self.frozen = frozen

    def at(self, instant: datetime) -> datetime:
        self.frozen.move_to(instant)
        return instant

    def open(self, title: str, decided: datetime, *, exercise: bool = False) -> str:
        self.at(decided)
        crisis_id: str = self.bus.handle(
            OpenCrisis(
                title=title,
                kind=CrisisKind.INONDATION,
                exercise=exercise,
                communes=("Corbeil-Essonnes",),
                activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-1"),
            ),
            actor=OFFICER,
        )
        return crisis_id

    def cell(self, crisis_id: str, instant: datetime) -> None:
        self.at(instant)
        self.bus.handle(DeclareCellOperational(crisis_id=crisis_id, note="quorum"), actor=CELL)

    def inform(
        self,
        crisis_id: str,
        audience: Audience,
        instant: datetime,
        means: str,
        *,
        recorded: datetime | None = None,
    ) -> None:
        """A delivery made at `instant`, recorded then or (`recorded`) later."""
        self.at(recorded or instant)
        self.bus.handle(
            RecordDelivery(
                crisis_id=crisis_id, audience=audience, delivered_at=instant, means=means
            ),
            actor=CELL,
        )

    def close(self, crisis_id: str, instant: datetime) -> None:
        self.at(instant)
        self.bus.handle(
            CloseCrisis(crisis_id=crisis_id, reason="fin de l'événement"), actor=PREFECT
        )

    def event(
        self,
        title: str,
        decided: datetime,
        delays: dict[str, int],
        *,
        means: dict[str, str],
        exercise: bool = False,
    ) -> str:
        """Open with the decision at `decided`, then meet each clock after its delay."""
        crisis_id = self.open(title, decided, exercise=exercise)
        for name, minutes in sorted(delays.items(), key=lambda item: item[1]):
            instant = decided + timedelta(minutes=minutes)
            if name == "cell":
                self.cell(crisis_id, instant)
            else:
                self.inform(crisis_id, Audience(name), instant, means[name])
        return crisis_id


MEANS = {"elus": "téléphone", "public": "site internet", "media": "communiqué"}


def _programme(b: _Builder) -> None:
    b.at(utc(1, 5, 9))
    b.bus.handle(
        AddDrillSchedule(
            name="Exercice trimestriel",
            scenario="crue-seine",
            rrule="FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15;BYHOUR=9;BYMINUTE=0",
            starts_at=utc(1, 1, 0),
            notice_days=0,
            mode=DrillMode.UNATTENDED,
        ),
        actor=OFFICER,
    )


def _sweep(b: _Builder, instant: datetime) -> list[object]:
    b.at(instant)
    claims: list[object] = b.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR)
    return claims


def _record_run(
    b: _Builder,
    occurrence: datetime,
    *,
    error: str | None = None,
    schedule_id: str | None = None,
    media: str = "breached",
) -> None:
    if schedule_id is None:  # the programme's one entry
        with b.service.engine.connect() as connection:
            (schedule_id,) = connection.execute(
                text("SELECT id FROM drill_schedules WHERE name = 'Exercice trimestriel'")
            ).scalars()
    verdict = None
    if error is None:
        verdict = {
            "missed": False,
            "clocks": {
                name: {"state": state, "achieved_minutes": None, "target_minutes": 60}
                for name, state in (
                    ("cell", "met"),
                    ("elus", "met"),
                    ("public", "met"),
                    ("media", media),
                )
            },
        }
    b.bus.handle(
        RecordDrillRun(
            schedule_id=schedule_id,
            occurrence=occurrence,
            report_dir=None,
            verdict=verdict,
            error=error,
        ),
        actor=SYSTEM_ACTOR,
    )


def _play_now(b: _Builder, engine: Engine, instant: datetime) -> None:
    """« Jouer maintenant »: the claim journalled as the console makes it, on a bus that
    plays nothing (the drill itself plays in an isolated service), then its end recorded."""
    b.at(instant)
    bare = MessageBus(engine=engine, clock=b.service.clock, settings=b.service.settings)
    claim: DrillClaim = bare.handle(PlayDrill(scenario="crue-seine"), actor=OFFICER)
    b.at(instant + timedelta(minutes=1))
    _record_run(b, claim.occurrence, schedule_id=claim.schedule_id, media="met")


def _accept_publication(b: _Builder, crisis_id: str, instant: datetime) -> None:
    """The channels of the public page accept every queued delivery of the event."""
    b.at(instant)
    with b.service.bus.unit_of_work() as uow:
        pending = [
            d for d in uow.outbox.deliveries_of(crisis_id=crisis_id) if d.status == "pending"
        ]
    b.bus.handle(
        RecordDeliveryOutcomes(
            worker="w1",
            results=tuple(
                DeliveryResult(
                    delivery_id=d.id,
                    crisis_id=crisis_id,
                    message_id=d.message_id,
                    audience=d.audience,
                    channel=d.channel,
                    attempt=1,
                    started_at=instant,
                    finished_at=instant,
                    outcome=DeliveryOutcome.ACCEPTED,
                    provider_message_id=f"{d.channel}-{d.id}",
                    accepted_at=instant,
                )
                for d in pending
            ),
        ),
        actor=SYSTEM_ACTOR,
    )


def tamper(engine: Engine, crisis_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE journal SET actor = 'quelqu''un' WHERE stream = :s AND seq = 2"),
            {"s": crisis_id},
        )


@contextmanager
def seeded_year(engine: Engine, data_dir: Path) -> Iterator[Year]:
    """Build the year; time stays frozen at YEAR_END while the caller computes."""
    with freeze_time(utc(1, 1, 0)) as frozen:
        service = bootstrap(
            settings=year_settings(data_dir), engine=engine, scheduler_mode=SchedulerMode.NONE
        )
        b = _Builder(service, frozen)
        year = Year(service)
        ids = year.ids
        _programme(b)

        ids["R1"] = b.open("Crue de l'Orge", utc(1, 15, 8))
        b.inform(ids["R1"], Audience.PUBLIC, utc(1, 15, 8, 30), "site internet")
        b.inform(ids["R1"], Audience.ELUS, utc(1, 15, 8, 30), "radio")
        b.cell(ids["R1"], utc(1, 15, 8, 35))
        b.inform(
            ids["R1"], Audience.ELUS, utc(1, 15, 8, 20), "téléphone", recorded=utc(1, 15, 8, 36)
        )
        b.inform(ids["R1"], Audience.MEDIA, utc(1, 15, 8, 40), "communiqué")
        _sweep(b, utc(1, 15, 8, 1))  # 9:01 in Paris: the January drill is claimed
        _record_run(b, utc(1, 15, 8))
        b.close(ids["R1"], utc(1, 15, 12))
        b.at(utc(2, 1, 10))
        b.bus.handle(
            RecordRetex(
                crisis_id=ids["R1"],
                worked="Alerte des maires rapide par téléphone.",
                did_not_work="Le communiqué aux médias est parti tard.",
                actions=(
                    CorrectiveActionInput(
                        description="Mettre à jour la liste des élus",
                        owner="SIDPC",
                        due_date=date(2026, 3, 31),
                    ),
                    CorrectiveActionInput(
                        description="Former la cellule au modèle de communiqué",
                        owner="Cabinet",
                        due_date=date(2026, 6, 30),
                        state=ActionState.DOING,
                    ),
                ),
            ),
            actor=CELL,
        )
        with service.bus.unit_of_work() as uow:
            retex = current_retex(ids["R1"], uow.journal.entries(ids["R1"]))
        assert retex is not None
        year.actions = {a.owner: a.action_id for a in retex.actions}

        ids["R2"] = b.event(
            "Orages sur le Hurepoix",
            utc(3, 10, 14),
            {"cell": 50, "elus": 45, "public": 70, "media": 55},
            means=MEANS,
        )
        b.close(ids["R2"], utc(3, 10, 18))
        b.at(utc(3, 20, 9))
        b.bus.handle(
            UpdateRetexAction(
                crisis_id=ids["R1"], action_id=year.actions["SIDPC"], state=ActionState.DONE
            ),
            actor=CELL,
        )

        ids["E1"] = b.event(
            "Exercice crue de la Seine",
            utc(4, 2, 9),
            {"cell": 30, "elus": 40, "public": 65, "media": 20},
            means=MEANS,
            exercise=True,
        )
        b.close(ids["E1"], utc(4, 2, 12))
        b.at(utc(4, 3, 9))
        b.bus.handle(
            RecordRetex(
                crisis_id=ids["E1"],
                worked="Cellule réunie vite.",
                did_not_work="Site internet mis à jour en retard.",
                actions=(
                    CorrectiveActionInput(
                        description="Donner un second compte d'accès au site",
                        owner="Service communication",
                        due_date=date(2026, 5, 31),
                    ),
                ),
            ),
            actor=CELL,
        )
        _sweep(b, utc(4, 17, 9))  # two days late: the April drill is missed

        ids["R3"] = b.event(
            "Pollution de l'Essonne",
            utc(5, 20, 6),
            {"cell": 25, "elus": 15, "public": 25},
            means={**MEANS, "elus": "SMS"},
        )
        b.at(utc(5, 20, 6, 30))
        b.bus.handle(OrderCip(crisis_id=ids["R3"], numero_unique="0800009191"), actor=PREFECT)
        b.at(utc(5, 20, 7, 1))
        b.bus.handle(CheckDeadlines(crisis_id=ids["R3"]), actor=SYSTEM_ACTOR)
        b.at(utc(5, 20, 7, 10))
        b.bus.handle(DeclareCipOperational(crisis_id=ids["R3"]), actor=OFFICER)
        _accept_publication(b, ids["R3"], utc(5, 20, 7, 12))
        b.close(ids["R3"], utc(5, 21, 10))

        _sweep(b, utc(7, 15, 7, 1))  # 9:01 in Paris (summer time)
        _record_run(b, utc(7, 15, 7), error="RuntimeError : scénario interrompu")

        ids["R4"] = b.open("Incendie à Étampes", utc(8, 1, 10))
        b.at(utc(8, 1, 10, 10))
        # A bus without channels (as a bare CLI): the numéro unique cannot be published.
        bare = MessageBus(engine=engine, clock=service.clock, settings=service.settings)
        bare.handle(OrderCip(crisis_id=ids["R4"], numero_unique="0169919191"), actor=PREFECT)
        for audience in (Audience.ELUS, Audience.PUBLIC, Audience.MEDIA):
            b.inform(ids["R4"], audience, utc(8, 1, 10, 30), MEANS[audience.value])
        b.cell(ids["R4"], utc(8, 1, 11, 15))
        b.at(utc(8, 1, 11, 40))
        bare.handle(DeclareCipOperational(crisis_id=ids["R4"]), actor=OFFICER)
        b.close(ids["R4"], utc(8, 2, 10))

        b.at(utc(9, 5, 12))
        ids["R5"] = b.bus.handle(
            OpenCrisis(
                title="Fuite de gaz à Massy",
                kind=CrisisKind.AUTRE,
                communes=("Massy",),
                exercise=False,
            ),
            actor=OFFICER,
        )
        b.close(ids["R5"], utc(9, 5, 13))

        ids["R6"] = b.event(
            "Accident routier sur l'A6",
            utc(10, 10, 9),
            {"cell": 10, "elus": 10, "public": 10, "media": 10},
            means=MEANS,
        )
        b.at(utc(10, 10, 9, 20))
        b.bus.handle(OrderCip(crisis_id=ids["R6"], numero_unique="0800006666"), actor=PREFECT)
        tamper(engine, ids["R6"])

        _play_now(b, engine, utc(11, 3, 10))

        ids["R7"] = b.open("Tempête de la Saint-Sylvestre", utc(12, 31, 22, 40))
        b.inform(ids["R7"], Audience.ELUS, utc(12, 31, 23, 30), "téléphone")
        b.at(YEAR_END)
        yield year
