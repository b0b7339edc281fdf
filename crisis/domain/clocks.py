"""The one-hour clocks of commitments 47 and 48, as absolute deadlines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crisis.domain.errors import Conflict
from crisis.domain.events import ClockBreached, ClockCorrected, ClockMet, ClockWarning, Event
from crisis.domain.vocabulary import ClockName, ClockState


@dataclass(frozen=True, slots=True)
class ClockPolicy:
    """Targets and warning offsets, in minutes from the COD decision."""

    targets: dict[ClockName, int]
    warning_offsets: tuple[int, ...] = (30, 45, 55)
    # How far back a COD decision may be entered (an operator raises it for older events).
    max_backdate_days: int = 7

    def offsets_for(self, clock: ClockName) -> tuple[int, ...]:
        target = self.targets[clock]
        return tuple(sorted(o for o in set(self.warning_offsets) if 0 < o < target))


DEFAULT_POLICY = ClockPolicy(targets=dict.fromkeys(ClockName, 60))


@dataclass(slots=True)
class CommitmentClock:
    crisis_id: str
    name: ClockName
    target_minutes: int
    started_at: datetime
    deadline: datetime
    warning_offsets: tuple[int, ...]
    met_at: datetime | None = None
    met_by: str | None = None
    # Offsets (in minutes) already raised; the target itself stands for the breach.
    raised_offsets: set[int] = field(default_factory=set)

    @classmethod
    def start(
        cls,
        *,
        crisis_id: str,
        name: ClockName,
        started_at: datetime,
        target_minutes: int,
        warning_offsets: tuple[int, ...],
    ) -> CommitmentClock:
        return cls(
            crisis_id=crisis_id,
            name=name,
            target_minutes=target_minutes,
            started_at=started_at,
            deadline=started_at + timedelta(minutes=target_minutes),
            warning_offsets=warning_offsets,
        )

    @property
    def breach_raised(self) -> bool:
        return self.target_minutes in self.raised_offsets

    @property
    def state(self) -> ClockState:
        if self.met_at is not None:
            return ClockState.MET if self.met_at <= self.deadline else ClockState.BREACHED
        return ClockState.BREACHED if self.breach_raised else ClockState.RUNNING

    @property
    def breached_at(self) -> datetime | None:
        return self.deadline if self.state is ClockState.BREACHED else None

    def due_instants(self) -> list[datetime]:
        """Every instant at which this clock may have something to say."""
        offsets = [*self.warning_offsets, self.target_minutes]
        return [self.started_at + timedelta(minutes=o) for o in offsets]

    def meet(self, *, at: datetime, by: str) -> list[Event]:
        """Record something that meets the clock; the earliest such instant wins."""
        if self.met_at is not None and self.met_at <= at:
            return []
        self.met_at = at
        self.met_by = by
        return [
            ClockMet(
                crisis_id=self.crisis_id,
                clock=self.name,
                met_at=at,
                met_by=by,
                late=at > self.deadline,
                recorded_after_breach=self.breach_raised,
            )
        ]

    def correct(self, *, met_at: datetime | None, reason: str, by: str) -> list[Event]:
        """Replace what met the clock (None: nothing did, it runs again); a clock not met yet
        may be given the instant it really was."""
        if self.met_at is None and met_at is None:
            raise Conflict(
                "Cette horloge n'a pas été tenue : il n'y a pas de déclaration à retirer."
            )
        previous_at, previous_by = self.met_at, self.met_by
        self.met_at = met_at
        self.met_by = f"correction de {by} : {reason}" if met_at is not None else None
        return [
            ClockCorrected(
                crisis_id=self.crisis_id,
                clock=self.name,
                previous_met_at=previous_at,
                previous_met_by=previous_by,
                met_at=met_at,
                reason=reason,
                corrected_by=by,
            )
        ]

    def raise_due_alerts(self, *, now: datetime) -> list[Event]:
        """Warnings and breach that fell due by `now`, each raised once, at its true due instant."""
        if self.met_at is not None and self.met_at <= now:
            return []
        events: list[Event] = []
        for offset in self.warning_offsets:
            due_at = self.started_at + timedelta(minutes=offset)
            if due_at <= now and offset not in self.raised_offsets:
                self.raised_offsets.add(offset)
                events.append(
                    ClockWarning(
                        crisis_id=self.crisis_id,
                        clock=self.name,
                        offset_minutes=offset,
                        due_at=due_at,
                        raised_at=now,
                        deadline=self.deadline,
                    )
                )
        if self.deadline <= now and not self.breach_raised:
            self.raised_offsets.add(self.target_minutes)
            events.append(
                ClockBreached(
                    crisis_id=self.crisis_id,
                    clock=self.name,
                    due_at=self.deadline,
                    raised_at=now,
                    target_minutes=self.target_minutes,
                )
            )
        return events
