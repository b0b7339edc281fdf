"""Read models shared by the API and the CLI: one shape for a crisis and its clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer

from crisis.domain.clocks import CommitmentClock
from crisis.domain.crisis import Crisis
from crisis.domain.vocabulary import (
    CLOCK_LABELS,
    ClockName,
    ClockState,
    CrisisKind,
    CrisisState,
)
from crisis.store.crises_repository import ManualDelivery, RaisedAlert
from crisis.store.journal import ChainCheck, JournalEntry

# One spelling of instants in every answer, API and CLI alike: ISO 8601 with "+00:00".
Instant = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str)]


class ClockView(BaseModel):
    name: ClockName
    label: str
    target_minutes: int
    started_at: Instant
    deadline: Instant
    state: ClockState
    met_at: Instant | None
    met_by: str | None
    breached_at: Instant | None


class ActivationView(BaseModel):
    decided_at: Instant
    decided_by: str
    synergi_ref: str | None
    recorded_by: str
    recorded_at: Instant


class CrisisView(BaseModel):
    crisis_id: str
    title: str
    kind: CrisisKind
    communes: list[str]
    reported_at: Instant
    exercise: bool
    state: CrisisState
    cod_activated_at: Instant | None = Field(description="Instant de la décision du préfet.")
    activation: ActivationView | None
    clocks: list[ClockView]
    closed_at: Instant | None
    closed_by: str | None
    close_reason: str | None
    opened_by_mistake: bool = Field(
        default=False, description="Clos comme ouvert par erreur : hors des indicateurs."
    )


class DeliveryView(BaseModel):
    delivery_id: str
    audience: str
    delivered_at: Instant
    means: str
    recipients: str
    recorded_by: str
    recorded_at: Instant


class AlertView(BaseModel):
    clock: ClockName
    kind: str = Field(description="`warning` ou `breach`.")
    offset_minutes: int
    due_at: Instant
    raised_at: Instant


class JournalEntryView(BaseModel):
    seq: int
    at: Instant
    actor: str
    kind: str
    payload: dict[str, object]
    prev_hash: str
    hash: str


class ChainCheckView(BaseModel):
    stream: str
    ok: bool
    entries_checked: int
    first_broken_seq: int | None
    reason: str | None


def clock_view(clock: CommitmentClock) -> ClockView:
    return ClockView(
        name=clock.name,
        label=CLOCK_LABELS[clock.name],
        target_minutes=clock.target_minutes,
        started_at=clock.started_at,
        deadline=clock.deadline,
        state=clock.state,
        met_at=clock.met_at,
        met_by=clock.met_by,
        breached_at=clock.breached_at,
    )


def crisis_view(crisis: Crisis) -> CrisisView:
    activation = crisis.activation
    return CrisisView(
        crisis_id=crisis.id,
        title=crisis.title,
        kind=crisis.kind,
        communes=list(crisis.communes),
        reported_at=crisis.reported_at,
        exercise=crisis.exercise,
        state=crisis.state,
        cod_activated_at=activation.decided_at if activation else None,
        activation=ActivationView(
            decided_at=activation.decided_at,
            decided_by=activation.decided_by,
            synergi_ref=activation.synergi_ref,
            recorded_by=activation.recorded_by,
            recorded_at=activation.recorded_at,
        )
        if activation
        else None,
        clocks=[clock_view(c) for c in crisis.clocks.values()],
        closed_at=crisis.closed_at,
        closed_by=crisis.closed_by,
        close_reason=crisis.close_reason,
        opened_by_mistake=crisis.opened_by_mistake,
    )


def status_json(view: CrisisView) -> dict[str, object]:
    """The compact status of `crisis status --json`."""
    return {
        "crisis_id": view.crisis_id,
        "exercise": view.exercise,
        "state": view.state.value,
        "cod_activated_at": view.cod_activated_at.isoformat() if view.cod_activated_at else None,
        "clocks": [
            {
                "name": c.name.value,
                "target_minutes": c.target_minutes,
                "deadline": c.deadline.isoformat(),
                "state": c.state.value,
                "met_at": c.met_at.isoformat() if c.met_at else None,
                "breached_at": c.breached_at.isoformat() if c.breached_at else None,
            }
            for c in view.clocks
        ],
    }


def delivery_view(delivery: ManualDelivery) -> DeliveryView:
    return DeliveryView(
        delivery_id=delivery.id,
        audience=delivery.audience.value,
        delivered_at=delivery.delivered_at,
        means=delivery.means,
        recipients=delivery.recipients,
        recorded_by=delivery.recorded_by,
        recorded_at=delivery.recorded_at,
    )


def alert_view(alert: RaisedAlert) -> AlertView:
    return AlertView(
        clock=alert.clock,
        kind=alert.kind,
        offset_minutes=alert.offset_minutes,
        due_at=alert.due_at,
        raised_at=alert.raised_at,
    )


def journal_entry_view(entry: JournalEntry) -> JournalEntryView:
    return JournalEntryView(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        kind=entry.kind,
        payload=entry.payload,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


def chain_check_view(check: ChainCheck) -> ChainCheckView:
    return ChainCheckView(
        stream=check.stream,
        ok=check.ok,
        entries_checked=check.entries_checked,
        first_broken_seq=check.first_broken_seq,
        reason=check.reason,
    )
