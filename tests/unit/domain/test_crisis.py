"""The crisis model on a clock moved by hand: activation, clocks, warnings, breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisis.clock import ManualClock
from crisis.domain.clocks import DEFAULT_POLICY, ClockPolicy
from crisis.domain.crisis import Crisis
from crisis.domain.errors import Conflict, InvalidInput
from crisis.domain.events import (
    AcceptedDelivery,
    ClockBreached,
    ClockMet,
    ClockStarted,
    ClockWarning,
    CodActivated,
    DeliveriesAccepted,
    Event,
)
from crisis.domain.vocabulary import (
    COD_CLOCKS,
    Audience,
    ClockName,
    ClockState,
    CrisisKind,
    CrisisState,
)

T0 = datetime(2026, 11, 28, 21, 15, tzinfo=UTC)
ANY_REF = r".*\S.*"


def new_crisis(*, exercise: bool = False, now: datetime = T0) -> Crisis:
    return Crisis.open(
        crisis_id="c1",
        title="Crue de la Seine",
        kind=CrisisKind.INONDATION,
        communes=("Corbeil-Essonnes", "Évry-Courcouronnes"),
        reported_at=now,
        exercise=exercise,
        by="cadre",
        now=now,
    )


def activate(
    crisis: Crisis,
    *,
    decided_at: datetime = T0,
    now: datetime = T0,
    ref: str | None = "SYN-2026-001",
) -> None:
    crisis.activate_cod(
        decided_at=decided_at,
        decided_by="M. le préfet",
        synergi_ref=ref,
        synergi_pattern=ANY_REF,
        recorded_by="cadre",
        now=now,
        policy=DEFAULT_POLICY,
    )


def of_type(events: list[Event], kind: type[Event]) -> list[Event]:
    return [e for e in events if isinstance(e, kind)]


def test_activation_starts_four_clocks_of_sixty_minutes() -> None:
    crisis = new_crisis()
    activate(crisis)
    assert crisis.state is CrisisState.COD_ACTIVE
    assert list(crisis.clocks) == [
        ClockName.CELL,
        ClockName.ELUS,
        ClockName.PUBLIC,
        ClockName.MEDIA,
    ]
    for clock in crisis.clocks.values():
        assert clock.deadline == T0 + timedelta(minutes=60)
        assert clock.state is ClockState.RUNNING
        assert clock.warning_offsets == (30, 45, 55)
    started = of_type(crisis.events, ClockStarted)
    assert len(started) == 4
    assert len(of_type(crisis.events, CodActivated)) == 1


def test_second_activation_is_a_conflict() -> None:
    crisis = new_crisis()
    activate(crisis)
    with pytest.raises(Conflict, match="déjà activé"):
        activate(crisis)


def test_decision_in_the_future_is_refused_and_changes_nothing() -> None:
    crisis = new_crisis()
    with pytest.raises(InvalidInput, match="futur") as caught:
        activate(crisis, decided_at=T0 + timedelta(minutes=1))
    assert caught.value.field == "decided_at"
    assert crisis.activation is None
    assert crisis.clocks == {}


def test_decision_in_the_past_starts_the_clocks_from_it_and_raises_due_warnings() -> None:
    crisis = new_crisis()
    decided = T0 - timedelta(minutes=40)
    activate(crisis, decided_at=decided, now=T0)
    assert crisis.clocks[ClockName.ELUS].deadline == decided + timedelta(minutes=60)
    warnings = of_type(crisis.events, ClockWarning)
    assert {(w.clock, w.offset_minutes) for w in warnings} == {(c, 30) for c in COD_CLOCKS}  # type: ignore[attr-defined]
    assert all(w.due_at == decided + timedelta(minutes=30) for w in warnings)  # type: ignore[attr-defined]


def test_synergi_reference_required_for_a_real_event_only() -> None:
    with pytest.raises(InvalidInput, match="SYNERGI est obligatoire") as caught:
        activate(new_crisis(), ref="  ")
    assert caught.value.field == "synergi_ref"
    drill = new_crisis(exercise=True)
    activate(drill, ref=None)
    assert drill.activation is not None and drill.activation.synergi_ref is None


def test_synergi_reference_pattern_is_enforced() -> None:
    crisis = new_crisis()
    with pytest.raises(InvalidInput, match="format attendu"):
        crisis.activate_cod(
            decided_at=T0,
            decided_by="préfet",
            synergi_ref="abc",
            synergi_pattern=r"SYN-\d{4}-\d+",
            recorded_by="cadre",
            now=T0,
            policy=DEFAULT_POLICY,
        )


def test_warnings_then_breach_each_raised_once_at_their_due_instant() -> None:
    crisis = new_crisis()
    activate(crisis)
    crisis.events.clear()
    clock = ManualClock(T0)
    seen: list[Event] = []
    for minutes in (29, 30, 31, 44, 45, 50, 55, 59, 60, 61, 120):
        clock.set(T0 + timedelta(minutes=minutes))
        crisis.raise_due_alerts(now=clock.now())
        seen.extend(crisis.events)
        crisis.events.clear()
    warnings = of_type(seen, ClockWarning)
    breaches = of_type(seen, ClockBreached)
    assert len(warnings) == 12  # 3 offsets x 4 clocks
    assert len(breaches) == 4
    assert {w.due_at for w in warnings} == {T0 + timedelta(minutes=m) for m in (30, 45, 55)}  # type: ignore[attr-defined]
    assert all(b.due_at == T0 + timedelta(minutes=60) for b in breaches)  # type: ignore[attr-defined]
    assert all(c.state is ClockState.BREACHED for c in crisis.clocks.values())
    assert all(c.breached_at == T0 + timedelta(minutes=60) for c in crisis.clocks.values())


def test_alerts_missed_while_down_fire_together_with_their_true_instants() -> None:
    crisis = new_crisis()
    activate(crisis)
    crisis.events.clear()
    late = T0 + timedelta(minutes=70)
    crisis.raise_due_alerts(now=late)
    cell = [e for e in crisis.events if getattr(e, "clock", None) is ClockName.CELL]
    assert [(type(e).__name__, e.due_at) for e in cell] == [  # type: ignore[attr-defined]
        ("ClockWarning", T0 + timedelta(minutes=30)),
        ("ClockWarning", T0 + timedelta(minutes=45)),
        ("ClockWarning", T0 + timedelta(minutes=55)),
        ("ClockBreached", T0 + timedelta(minutes=60)),
    ]
    assert all(e.raised_at == late for e in cell)  # type: ignore[attr-defined]


def test_delivery_meets_its_audience_clock_only_and_stops_its_warnings() -> None:
    crisis = new_crisis()
    activate(crisis)
    now = T0 + timedelta(minutes=20)
    crisis.record_delivery(
        delivery_id="d1",
        audience=Audience.ELUS,
        delivered_at=T0 + timedelta(minutes=18),
        means="appels aux maires",
        recipients="maires",
        by="cellule",
        now=now,
    )
    assert crisis.clocks[ClockName.ELUS].state is ClockState.MET
    assert crisis.clocks[ClockName.ELUS].met_at == T0 + timedelta(minutes=18)
    assert crisis.clocks[ClockName.MEDIA].state is ClockState.RUNNING
    crisis.events.clear()
    crisis.raise_due_alerts(now=T0 + timedelta(minutes=65))
    assert all(getattr(e, "clock", None) is not ClockName.ELUS for e in crisis.events)


def test_earliest_delivery_wins_even_when_recorded_later() -> None:
    crisis = new_crisis()
    activate(crisis)
    now = T0 + timedelta(minutes=50)
    for minute, delivery_id in ((40, "late"), (25, "early"), (45, "later")):
        crisis.record_delivery(
            delivery_id=delivery_id,
            audience=Audience.MEDIA,
            delivered_at=T0 + timedelta(minutes=minute),
            means="communiqué",
            recipients="",
            by="cellule",
            now=now,
        )
    media = crisis.clocks[ClockName.MEDIA]
    assert media.met_at == T0 + timedelta(minutes=25)
    assert media.met_by is not None and "early" in media.met_by
    assert len(of_type(crisis.events, ClockMet)) == 2


def accepted_batch(audience: str, *minutes: int) -> DeliveriesAccepted:
    return DeliveriesAccepted(
        crisis_id="c1",
        message_id="m1",
        channel="telegram_dm",
        audience=audience,
        deliveries=tuple(
            AcceptedDelivery(
                delivery_id=f"d{minute}",
                queued_at=T0 - timedelta(minutes=10),
                accepted_at=T0 + timedelta(minutes=minute),
                provider_message_id=None,
                attempts=1,
            )
            for minute in minutes
        ),
    )


def test_a_batch_of_acceptances_meets_the_clock_at_its_first_after_the_decision() -> None:
    crisis = new_crisis()
    activate(crisis)
    batch = accepted_batch(Audience.PUBLIC, 9, -3, 7, 12)  # -3: before the COD's decision
    crisis.deliveries_accepted(batch, factual=True)
    public = crisis.clocks[ClockName.PUBLIC]
    assert public.met_at == T0 + timedelta(minutes=7)
    assert public.met_by == "diffusion d7 (telegram_dm)"
    assert batch in crisis.events
    assert len(of_type(crisis.events, ClockMet)) == 1


def test_acceptances_that_meet_no_clock() -> None:
    crisis = new_crisis()
    activate(crisis)
    crisis.deliveries_accepted(accepted_batch(Audience.ELUS, 5), factual=False)  # a page
    crisis.deliveries_accepted(accepted_batch(Audience.MEDIA, -1, -2), factual=True)
    crisis.deliveries_accepted(accepted_batch("cellule", 4), factual=True)  # no clock
    assert of_type(crisis.events, ClockMet) == []
    assert len(of_type(crisis.events, DeliveriesAccepted)) == 3


def test_met_late_after_breach_keeps_breached_state_with_met_at() -> None:
    crisis = new_crisis()
    activate(crisis)
    crisis.raise_due_alerts(now=T0 + timedelta(minutes=61))
    crisis.declare_cell_operational(
        at=T0 + timedelta(minutes=75), by="chef de cellule", note="", now=T0 + timedelta(minutes=76)
    )
    cell = crisis.clocks[ClockName.CELL]
    assert cell.state is ClockState.BREACHED
    assert cell.met_at == T0 + timedelta(minutes=75)
    assert cell.breached_at == T0 + timedelta(minutes=60)
    met = of_type(crisis.events, ClockMet)[-1]
    assert met.late is True and met.recorded_after_breach is True  # type: ignore[attr-defined]


def test_delivery_before_the_decision_or_in_the_future_is_refused() -> None:
    crisis = new_crisis()
    activate(crisis)
    kwargs = {
        "delivery_id": "d",
        "audience": Audience.PUBLIC,
        "means": "x",
        "recipients": "",
        "by": "c",
    }
    with pytest.raises(InvalidInput, match="antérieure") as before:
        crisis.record_delivery(delivered_at=T0 - timedelta(minutes=1), now=T0, **kwargs)  # type: ignore[arg-type]
    assert before.value.field == "delivered_at"
    with pytest.raises(InvalidInput, match="futur"):
        crisis.record_delivery(delivered_at=T0 + timedelta(minutes=5), now=T0, **kwargs)  # type: ignore[arg-type]
    assert crisis.clocks[ClockName.PUBLIC].met_at is None


def test_delivery_before_activation_is_a_conflict() -> None:
    crisis = new_crisis()
    with pytest.raises(Conflict, match="n'est pas activé"):
        crisis.declare_cell_operational(at=T0, by="x", note="", now=T0)


def test_closed_crisis_refuses_everything() -> None:
    crisis = new_crisis()
    activate(crisis)
    crisis.close(
        at=T0 + timedelta(hours=5), by="préfet", reason="décrue", now=T0 + timedelta(hours=5)
    )
    assert crisis.state is CrisisState.CLOSED
    with pytest.raises(Conflict, match="clos"):
        crisis.close(
            at=T0 + timedelta(hours=5), by="préfet", reason="encore", now=T0 + timedelta(hours=6)
        )
    with pytest.raises(Conflict, match="clos"):
        activate(crisis)


def test_close_needs_a_reason() -> None:
    crisis = new_crisis()
    with pytest.raises(InvalidInput, match="motif"):
        crisis.close(at=T0, by="préfet", reason=" ", now=T0)


def test_title_is_required_and_bounded() -> None:
    with pytest.raises(InvalidInput, match="titre"):
        Crisis.open(
            crisis_id="x",
            title="  ",
            kind=CrisisKind.AUTRE,
            communes=(),
            reported_at=T0,
            exercise=False,
            by="c",
            now=T0,
        )
    with pytest.raises(InvalidInput, match="200"):
        Crisis.open(
            crisis_id="x",
            title="a" * 201,
            kind=CrisisKind.AUTRE,
            communes=(),
            reported_at=T0,
            exercise=False,
            by="c",
            now=T0,
        )


def test_custom_policy_targets_and_offsets() -> None:
    policy = ClockPolicy(
        targets={**DEFAULT_POLICY.targets, ClockName.CELL: 45}, warning_offsets=(15, 30, 45, 55)
    )
    crisis = new_crisis()
    crisis.activate_cod(
        decided_at=T0,
        decided_by="p",
        synergi_ref="S",
        synergi_pattern=ANY_REF,
        recorded_by="c",
        now=T0,
        policy=policy,
    )
    cell = crisis.clocks[ClockName.CELL]
    assert cell.deadline == T0 + timedelta(minutes=45)
    assert cell.warning_offsets == (15, 30)  # an offset at or past the target is the breach itself
    assert crisis.clocks[ClockName.ELUS].warning_offsets == (15, 30, 45, 55)
