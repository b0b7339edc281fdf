"""Load and save the crisis aggregate. Saving writes what the new events say happened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Row,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from crisis.domain.clocks import CommitmentClock
from crisis.domain.crisis import CodActivation, Crisis
from crisis.domain.errors import NotFound
from crisis.domain.events import (
    ClockBreached,
    ClockCorrected,
    ClockMet,
    ClockStarted,
    ClockWarning,
    CodActivated,
    DeliveryRecorded,
)
from crisis.domain.vocabulary import Audience, ClockName, CrisisKind, CrisisState
from crisis.store.markers import Marker
from crisis.store.tables import (
    clock_alerts,
    clocks,
    cod_activations,
    crises,
    journal,
    journal_heads,
    manual_deliveries,
)


class ConcurrentUpdate(Exception):  # noqa: N818
    """Someone else saved the same crisis first: the command is retried."""


@dataclass(frozen=True, slots=True)
class ManualDelivery:
    id: str
    crisis_id: str
    audience: Audience
    delivered_at: datetime
    means: str
    recipients: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    crisis_id: str
    clock: ClockName
    offset_minutes: int
    kind: str
    due_at: datetime
    raised_at: datetime


# Built once: reading a crisis is the service's most frequent query, and building the statement
# (and its cache key) each time costs more than running it on SQLite. Two queries, not four:
# each one is a round trip to PostgreSQL.
_CRISIS_ID: BindParameter[str] = bindparam("crisis_id")
_ACTIVATION_COLUMNS = [
    column.label(f"activation_{column.name}")
    for column in cod_activations.c
    if column.name != "crisis_id"
]
_CRISES = select(
    crises, cod_activations.c.crisis_id.label("activated"), *_ACTIVATION_COLUMNS
).outerjoin(cod_activations, cod_activations.c.crisis_id == crises.c.id)
_CRISIS = _CRISES.where(crises.c.id == _CRISIS_ID)
# Only the crisis row is locked (PostgreSQL refuses to lock the nullable side of a join).
_CRISIS_FOR_UPDATE = _CRISIS.with_for_update(of=crises)
# Built once: every batch of delivery outcomes saves its crisis.
_SAVE = (
    update(crises)
    .where(crises.c.id == _CRISIS_ID, crises.c.version == bindparam("expected_version"))
    .values(
        state=bindparam("state"),
        closed_at=bindparam("closed_at"),
        closed_by=bindparam("closed_by"),
        close_reason=bindparam("close_reason"),
        opened_by_mistake=bindparam("opened_by_mistake"),
        version=bindparam("next_version"),
    )
)
_ALL_CLOCKS = select(clocks, clock_alerts.c.offset_minutes.label("raised_offset")).outerjoin(
    clock_alerts,
    (clock_alerts.c.crisis_id == clocks.c.crisis_id) & (clock_alerts.c.clock == clocks.c.name),
)
_CLOCKS = _ALL_CLOCKS.where(clocks.c.crisis_id == _CRISIS_ID)
_CHANGE_MARKER = select(
    select(func.max(journal.c.id)).scalar_subquery(),
    select(func.sum(journal_heads.c.seq)).scalar_subquery(),
    select(func.count()).select_from(clock_alerts).scalar_subquery(),
)
# One event's marker: its version and its journal's last number, both moved only by a
# transaction holding the event's row or its journal head (so in the order of their commits).
_EVENT_MARKER = select(
    crises.c.version,
    select(journal_heads.c.seq).where(journal_heads.c.stream == crises.c.id).scalar_subquery(),
).where(crises.c.id == _CRISIS_ID)
# The advisory lock of event openings: any constant the service uses for nothing else.
_OPENINGS_LOCK = 0x6372697369730001
_CLOCK_ORDER = {name: index for index, name in enumerate(ClockName)}


class CrisisRepository:
    def __init__(self, connection: Connection, *, now: datetime) -> None:
        self._conn = connection
        self._now = now

    def get(self, crisis_id: str, *, for_update: bool = False) -> Crisis:
        key = {"crisis_id": crisis_id}
        row = self._conn.execute(_CRISIS_FOR_UPDATE if for_update else _CRISIS, key).first()
        if row is None:
            raise NotFound(f"Aucun événement ne porte l'identifiant « {crisis_id} ».")
        crisis = _crisis_of(row)
        for clock_row in self._conn.execute(_CLOCKS, key):
            _add_clock(crisis, clock_row)
        _order_clocks(crisis)
        return crisis

    def lock_openings(self) -> None:
        """Make the openings of events wait for each other until this transaction ends, so
        that the duplicate check of the second one sees the first one's event.

        On PostgreSQL a transaction-level advisory lock; SQLite's writes already wait for
        each other (BEGIN IMMEDIATE, crisis.store.engine).
        """
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OPENINGS_LOCK})

    def add(self, crisis: Crisis) -> None:
        self._conn.execute(
            insert(crises).values(
                id=crisis.id,
                title=crisis.title,
                kind=crisis.kind.value,
                communes=list(crisis.communes),
                reported_at=crisis.reported_at,
                exercise=crisis.exercise,
                state=crisis.state.value,
                opened_by_mistake=False,
                created_by=crisis.created_by,
                created_at=crisis.created_at,
                version=1,
            )
        )
        crisis.version = 1
        self._write_events(crisis)

    def save(self, crisis: Crisis) -> None:
        result = self._conn.execute(
            _SAVE,
            {
                "crisis_id": crisis.id,
                "expected_version": crisis.version,
                "state": crisis.state.value,
                "closed_at": crisis.closed_at,
                "closed_by": crisis.closed_by,
                "close_reason": crisis.close_reason,
                "opened_by_mistake": crisis.opened_by_mistake,
                "next_version": crisis.version + 1,
            },
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate(crisis.id)
        crisis.version += 1
        self._write_events(crisis)

    def _write_events(self, crisis: Crisis) -> None:
        for event in crisis.events:
            match event:
                case CodActivated():
                    self._conn.execute(
                        insert(cod_activations).values(
                            crisis_id=crisis.id,
                            decided_at=event.decided_at,
                            decided_by=event.decided_by,
                            synergi_ref=event.synergi_ref,
                            recorded_by=event.recorded_by,
                            recorded_at=event.recorded_at,
                        )
                    )
                case ClockStarted():
                    self._conn.execute(
                        insert(clocks).values(
                            crisis_id=crisis.id,
                            name=event.clock.value,
                            target_minutes=event.target_minutes,
                            started_at=event.started_at,
                            deadline=event.deadline,
                            warning_offsets=list(event.warning_offsets),
                        )
                    )
                case ClockCorrected():
                    self._conn.execute(
                        update(clocks)
                        .where(clocks.c.crisis_id == crisis.id, clocks.c.name == event.clock.value)
                        .values(met_at=event.met_at, met_by=crisis.clocks[event.clock].met_by)
                    )
                case ClockMet():
                    self._conn.execute(
                        update(clocks)
                        .where(clocks.c.crisis_id == crisis.id, clocks.c.name == event.clock.value)
                        .values(met_at=event.met_at, met_by=event.met_by)
                    )
                case ClockWarning() | ClockBreached():
                    is_breach = isinstance(event, ClockBreached)
                    offset = (
                        event.target_minutes
                        if isinstance(event, ClockBreached)
                        else event.offset_minutes
                    )
                    self._conn.execute(
                        insert(clock_alerts).values(
                            crisis_id=crisis.id,
                            clock=event.clock.value,
                            offset_minutes=offset,
                            kind="breach" if is_breach else "warning",
                            due_at=event.due_at,
                            raised_at=event.raised_at,
                        )
                    )
                case DeliveryRecorded():
                    self._conn.execute(
                        insert(manual_deliveries).values(
                            id=event.delivery_id,
                            crisis_id=crisis.id,
                            audience=event.audience.value,
                            delivered_at=event.delivered_at,
                            means=event.means,
                            recipients=event.recipients,
                            recorded_by=event.recorded_by,
                            recorded_at=self._now,
                        )
                    )
                case _:
                    pass

    def find(
        self,
        *,
        states: Sequence[CrisisState] | None = None,
        exercise: bool | None = None,
        reported_from: datetime | None = None,
        reported_to: datetime | None = None,
    ) -> list[Crisis]:
        """The crises that match, newest first: two statements whatever their number (the
        dashboard polls this every second for every open event)."""
        conditions: list[ColumnElement[bool]] = []
        if states:
            conditions.append(crises.c.state.in_([s.value for s in states]))
        if exercise is not None:
            conditions.append(crises.c.exercise == exercise)
        if reported_from is not None:
            conditions.append(crises.c.reported_at >= reported_from)
        if reported_to is not None:
            conditions.append(crises.c.reported_at < reported_to)
        rows = self._conn.execute(
            _CRISES.where(*conditions).order_by(crises.c.reported_at.desc(), crises.c.id)
        )
        found = {row.id: _crisis_of(row) for row in rows}
        if not found:
            return []
        chosen = select(crises.c.id).where(*conditions)
        for clock_row in self._conn.execute(_ALL_CLOCKS.where(clocks.c.crisis_id.in_(chosen))):
            _add_clock(found[clock_row.crisis_id], clock_row)
        for crisis in found.values():
            _order_clocks(crisis)
        return list(found.values())

    def change_marker(self) -> Marker:
        """What every change an open event's summary can show moves, in one statement: the
        journal (its newest row id, and the number of entries committed: the sum of its
        chains' heads) and the number of clock alerts (the scheduler's warnings write both).

        Counts, not only row ids: on PostgreSQL two transactions may commit in the other
        order than their ids were drawn (two events' chains are not locked together), and a
        marker of ids alone would not move when the lower one commits last. A count moves at
        every commit, in any order (nothing is ever deleted from either table)."""
        row = self._conn.execute(_CHANGE_MARKER).one()
        return Marker(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))

    def event_marker(self, crisis_id: str) -> tuple[int, int]:
        """The event's version and its journal's last number, in one statement: whatever its
        page shows is written with one or the other."""
        row = self._conn.execute(_EVENT_MARKER, {"crisis_id": crisis_id}).first()
        if row is None:
            raise NotFound(f"Aucun événement ne porte l'identifiant « {crisis_id} ».")
        return int(row[0]), int(row[1] or 0)

    def ids_with_running_clocks(self) -> list[str]:
        query = (
            select(crises.c.id)
            .join(clocks, clocks.c.crisis_id == crises.c.id)
            .where(crises.c.state == CrisisState.COD_ACTIVE.value, clocks.c.met_at.is_(None))
            .distinct()
        )
        return sorted(self._conn.scalars(query))

    def upcoming_clock_instants(self) -> list[tuple[str, datetime]]:
        """(crisis_id, due_at) of each warning and deadline not yet raised, for the scheduler."""
        raised = {
            (r.crisis_id, r.clock, r.offset_minutes)
            for r in self._conn.execute(
                select(
                    clock_alerts.c.crisis_id, clock_alerts.c.clock, clock_alerts.c.offset_minutes
                )
                .join(crises, crises.c.id == clock_alerts.c.crisis_id)
                .where(crises.c.state == CrisisState.COD_ACTIVE.value)
            )
        }
        rows = self._conn.execute(
            select(clocks)
            .join(crises, crises.c.id == clocks.c.crisis_id)
            .where(crises.c.state == CrisisState.COD_ACTIVE.value, clocks.c.met_at.is_(None))
        )
        instants: set[tuple[str, datetime]] = set()
        for row in rows:
            for offset in [*row.warning_offsets, row.target_minutes]:
                if (row.crisis_id, row.name, offset) not in raised:
                    instants.add((row.crisis_id, row.started_at + timedelta(minutes=offset)))
        return sorted(instants)

    def manual_deliveries(self, crisis_id: str) -> list[ManualDelivery]:
        query = (
            select(manual_deliveries)
            .where(manual_deliveries.c.crisis_id == crisis_id)
            .order_by(manual_deliveries.c.delivered_at)
        )
        return [
            ManualDelivery(
                id=row.id,
                crisis_id=row.crisis_id,
                audience=Audience(row.audience),
                delivered_at=row.delivered_at,
                means=row.means,
                recipients=row.recipients,
                recorded_by=row.recorded_by,
                recorded_at=row.recorded_at,
            )
            for row in self._conn.execute(query)
        ]

    def alerts(self, crisis_id: str) -> list[RaisedAlert]:
        return self.alerts_of([crisis_id]).get(crisis_id, [])

    def alerts_of(self, crisis_ids: Sequence[str]) -> dict[str, list[RaisedAlert]]:
        """The alerts raised for each of these crises, oldest first, in one statement."""
        query = (
            select(clock_alerts)
            .where(clock_alerts.c.crisis_id.in_(list(crisis_ids)))
            .order_by(clock_alerts.c.due_at, clock_alerts.c.clock)
        )
        found: dict[str, list[RaisedAlert]] = {}
        for row in self._conn.execute(query):
            found.setdefault(row.crisis_id, []).append(
                RaisedAlert(
                    crisis_id=row.crisis_id,
                    clock=ClockName(row.clock),
                    offset_minutes=row.offset_minutes,
                    kind=row.kind,
                    due_at=row.due_at,
                    raised_at=row.raised_at,
                )
            )
        return found


def _crisis_of(row: Row[Any]) -> Crisis:
    crisis = Crisis(
        id=row.id,
        title=row.title,
        kind=CrisisKind(row.kind),
        communes=tuple(row.communes),
        reported_at=row.reported_at,
        exercise=row.exercise,
        created_by=row.created_by,
        created_at=row.created_at,
        state=CrisisState(row.state),
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        close_reason=row.close_reason,
        opened_by_mistake=row.opened_by_mistake,
        version=row.version,
    )
    if row.activated is not None:
        crisis.activation = CodActivation(
            decided_at=row.activation_decided_at,
            decided_by=row.activation_decided_by,
            synergi_ref=row.activation_synergi_ref,
            recorded_by=row.activation_recorded_by,
            recorded_at=row.activation_recorded_at,
        )
    return crisis


def _add_clock(crisis: Crisis, row: Row[Any]) -> None:
    """One row of `_CLOCKS`: a clock, with one of its raised warnings if any."""
    name = ClockName(row.name)
    clock = crisis.clocks.get(name)
    if clock is None:
        clock = crisis.clocks[name] = CommitmentClock(
            crisis_id=crisis.id,
            name=name,
            target_minutes=row.target_minutes,
            started_at=row.started_at,
            deadline=row.deadline,
            warning_offsets=tuple(row.warning_offsets),
            met_at=row.met_at,
            met_by=row.met_by,
            raised_offsets=set(),
        )
    if row.raised_offset is not None:
        clock.raised_offsets.add(row.raised_offset)


def _order_clocks(crisis: Crisis) -> None:
    crisis.clocks = dict(sorted(crisis.clocks.items(), key=lambda item: _CLOCK_ORDER[item[0]]))
