"""The crisis aggregate: an événement majeur, its COD activation and its clocks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crisis.domain.clocks import ClockPolicy, CommitmentClock
from crisis.domain.errors import Conflict, FieldCheck, InvalidFields, InvalidInput
from crisis.domain.events import (
    CellDeclaredOperational,
    CipDeclaredOperational,
    CipOrdered,
    ClockStarted,
    CodActivated,
    CrisisClosed,
    CrisisOpened,
    DeliveriesAccepted,
    DeliveryRecorded,
    Event,
    HandsetReceiptsRecorded,
)
from crisis.domain.vocabulary import (
    AUDIENCE_CLOCK,
    COD_CLOCKS,
    Audience,
    ClockName,
    CrisisKind,
    CrisisState,
)

MAX_TITLE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class CodActivation:
    decided_at: datetime
    decided_by: str
    synergi_ref: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(slots=True)
class Crisis:
    id: str
    title: str
    kind: CrisisKind
    communes: tuple[str, ...]
    reported_at: datetime
    exercise: bool
    created_by: str
    created_at: datetime
    state: CrisisState = CrisisState.REPORTED
    activation: CodActivation | None = None
    clocks: dict[ClockName, CommitmentClock] = field(default_factory=dict)
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_reason: str | None = None
    opened_by_mistake: bool = False
    version: int = 0
    events: list[Event] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        *,
        crisis_id: str,
        title: str,
        kind: CrisisKind,
        communes: tuple[str, ...],
        reported_at: datetime,
        exercise: bool,
        by: str,
        now: datetime,
    ) -> Crisis:
        raise_all(
            opening_problems(title=title, communes=communes, reported_at=reported_at, now=now)
        )
        title = title.strip()
        cleaned_communes = tuple(c.strip() for c in communes)
        crisis = cls(
            id=crisis_id,
            title=title,
            kind=kind,
            communes=cleaned_communes,
            reported_at=reported_at,
            exercise=exercise,
            created_by=by,
            created_at=now,
        )
        crisis.events.append(
            CrisisOpened(
                crisis_id=crisis_id,
                title=title,
                kind=kind,
                communes=cleaned_communes,
                reported_at=reported_at,
                exercise=exercise,
            )
        )
        return crisis

    def _ensure_open(self) -> None:
        if self.state is CrisisState.CLOSED:
            raise Conflict("Cet événement est clos : aucune action n'est plus possible.")

    def _ensure_active(self) -> None:
        self._ensure_open()
        if self.state is not CrisisState.COD_ACTIVE:
            raise Conflict(
                "Le COD n'est pas activé pour cet événement : enregistrez d'abord son activation."
            )

    def activate_cod(
        self,
        *,
        decided_at: datetime,
        decided_by: str,
        synergi_ref: str | None,
        synergi_pattern: str,
        recorded_by: str,
        now: datetime,
        policy: ClockPolicy,
    ) -> None:
        self._ensure_open()
        if self.activation is not None:
            raise Conflict(
                "Le COD est déjà activé pour cet événement "
                f"(décision enregistrée par {self.activation.recorded_by})."
            )
        raise_all(
            activation_problems(
                decided_at=decided_at,
                decided_by=decided_by,
                synergi_ref=synergi_ref,
                synergi_pattern=synergi_pattern,
                exercise=self.exercise,
                now=now,
                policy=policy,
            )
        )
        decided_by = decided_by.strip()
        ref = (synergi_ref or "").strip() or None
        self.activation = CodActivation(
            decided_at=decided_at,
            decided_by=decided_by,
            synergi_ref=ref,
            recorded_by=recorded_by,
            recorded_at=now,
        )
        self.state = CrisisState.COD_ACTIVE
        self.events.append(
            CodActivated(
                crisis_id=self.id,
                decided_at=decided_at,
                decided_by=decided_by,
                synergi_ref=ref,
                recorded_by=recorded_by,
                recorded_at=now,
            )
        )
        for name in COD_CLOCKS:
            clock = CommitmentClock.start(
                crisis_id=self.id,
                name=name,
                started_at=decided_at,
                target_minutes=policy.targets[name],
                warning_offsets=policy.offsets_for(name),
            )
            self.clocks[name] = clock
            self.events.append(
                ClockStarted(
                    crisis_id=self.id,
                    clock=name,
                    started_at=decided_at,
                    deadline=clock.deadline,
                    target_minutes=clock.target_minutes,
                    warning_offsets=clock.warning_offsets,
                )
            )
        # A decision recorded late may already have warnings due.
        self.raise_due_alerts(now=now)

    def _check_instant(self, field_name: str, at: datetime, now: datetime, what: str) -> None:
        assert self.activation is not None
        if at > now:
            raise InvalidInput(field_name, f"L'heure {what} ne peut pas être dans le futur.")
        if at < self.activation.decided_at:
            raise InvalidInput(
                field_name,
                f"L'heure {what} est antérieure à la décision d'activation du COD.",
            )

    def declare_cell_operational(
        self, *, at: datetime, by: str, note: str, now: datetime, met_by: str | None = None
    ) -> None:
        """`met_by`: what met the clock when no person declared it (« quorum atteint (…) »)."""
        self._ensure_active()
        self._check_instant("declared_at", at, now, "de déclaration")
        self.events.append(
            CellDeclaredOperational(crisis_id=self.id, declared_at=at, declared_by=by, note=note)
        )
        met_by = met_by or _declaration(by, note)
        self.events.extend(self.clocks[ClockName.CELL].meet(at=at, by=met_by))

    def order_cip(
        self,
        *,
        ordered_at: datetime,
        ordered_by: str,
        numero_unique: str,
        recorded_by: str,
        now: datetime,
        policy: ClockPolicy,
    ) -> None:
        """The préfet orders the CIP: the `cip` clock starts at the order's instant."""
        self._ensure_active()
        existing = self.clocks.get(ClockName.CIP)
        if existing is not None:
            raise Conflict(
                "La cellule d'information du public est déjà activée pour cet événement "
                f"(ordre du {existing.started_at.isoformat()})."
            )
        ordered_by = ordered_by.strip()
        if not ordered_by:
            raise InvalidInput("ordered_by", "Indiquez qui a ordonné l'activation de la CIP.")
        self._check_instant("ordered_at", ordered_at, now, "de l'ordre du préfet")
        self.events.append(
            CipOrdered(
                crisis_id=self.id,
                ordered_at=ordered_at,
                ordered_by=ordered_by,
                numero_unique=numero_unique,
                recorded_by=recorded_by,
                recorded_at=now,
            )
        )
        clock = CommitmentClock.start(
            crisis_id=self.id,
            name=ClockName.CIP,
            started_at=ordered_at,
            target_minutes=policy.targets[ClockName.CIP],
            warning_offsets=policy.offsets_for(ClockName.CIP),
        )
        self.clocks[ClockName.CIP] = clock
        self.events.append(
            ClockStarted(
                crisis_id=self.id,
                clock=ClockName.CIP,
                started_at=ordered_at,
                deadline=clock.deadline,
                target_minutes=clock.target_minutes,
                warning_offsets=clock.warning_offsets,
            )
        )
        self.raise_due_alerts(now=now)

    def declare_cip_operational(
        self, *, at: datetime, by: str, note: str, now: datetime, met_by: str | None = None
    ) -> None:
        self._ensure_active()
        clock = self.clocks.get(ClockName.CIP)
        if clock is None:
            raise Conflict(
                "La cellule d'information du public n'a pas été activée : "
                "enregistrez d'abord l'ordre du préfet."
            )
        self._check_instant("declared_at", at, now, "de déclaration")
        if at < clock.started_at:
            raise InvalidInput(
                "declared_at", "L'heure de déclaration est antérieure à l'ordre du préfet."
            )
        self.events.append(
            CipDeclaredOperational(crisis_id=self.id, declared_at=at, declared_by=by, note=note)
        )
        self.events.extend(clock.meet(at=at, by=met_by or _declaration(by, note)))

    def record_delivery(
        self,
        *,
        delivery_id: str,
        audience: Audience,
        delivered_at: datetime,
        means: str,
        recipients: str,
        by: str,
        now: datetime,
    ) -> None:
        self._ensure_active()
        check = FieldCheck()
        means = means.strip()
        if not means:
            check.add("means", "Indiquez le moyen utilisé (conférence de presse, appels, …).")
        check.read(lambda: self._check_instant("delivered_at", delivered_at, now, "de diffusion"))
        check.done()
        self.events.append(
            DeliveryRecorded(
                crisis_id=self.id,
                delivery_id=delivery_id,
                audience=audience,
                delivered_at=delivered_at,
                means=means,
                recipients=recipients.strip(),
                recorded_by=by,
            )
        )
        clock = self.clocks[AUDIENCE_CLOCK[audience]]
        self.events.extend(clock.meet(at=delivered_at, by=f"diffusion {delivery_id} ({means})"))

    def deliveries_accepted(
        self,
        accepted: DeliveriesAccepted,
        *,
        factual: bool,
        elus_met_on_delivery: bool = False,
    ) -> None:
        """Providers accepted deliveries; factual information meets its audience's clock, at
        the first acceptance after the COD's activation (for the élus, at the first handset
        receipt instead when `elus_met_on_delivery`)."""
        self.events.append(accepted)
        if elus_met_on_delivery and accepted.audience == Audience.ELUS.value:
            return
        self._meet_audience_clock(
            accepted.audience,
            [(d.accepted_at, d.delivery_id) for d in accepted.deliveries],
            channel=accepted.channel,
            factual=factual,
        )

    def handsets_reached(
        self, recorded: HandsetReceiptsRecorded, *, factual: bool, elus_met_on_delivery: bool
    ) -> None:
        """The operator's receipts; with `elus_met_on_delivery`, the first handset reached by
        factual information meets the élus' clock."""
        self.events.append(recorded)
        if not elus_met_on_delivery or recorded.audience != Audience.ELUS.value:
            return
        self._meet_audience_clock(
            recorded.audience,
            [(r.at, r.delivery_id) for r in recorded.reports if r.delivered],
            channel=recorded.channel,
            factual=factual,
        )

    def _meet_audience_clock(
        self,
        audience: str,
        reached: list[tuple[datetime, str]],
        *,
        channel: str,
        factual: bool,
    ) -> None:
        if not factual or self.activation is None:
            return
        try:
            clock = self.clocks[AUDIENCE_CLOCK[Audience(audience)]]
        except (ValueError, KeyError):
            return  # the cell or partners: no clock of commitment 48
        decided_at = self.activation.decided_at
        counted = [(at, delivery_id) for at, delivery_id in reached if at >= decided_at]
        if not counted:
            return
        at, delivery_id = min(counted, key=lambda reached_at: reached_at[0])
        self.events.extend(clock.meet(at=at, by=f"diffusion {delivery_id} ({channel})"))

    def correct_clock(
        self, *, clock: ClockName, met_at: datetime | None, reason: str, by: str, now: datetime
    ) -> None:
        """An explicit correction of what met a clock (a cell declared operational by mistake,
        a wrong hour), with its reason; allowed after the event is closed too."""
        found = self.clocks.get(clock)
        if found is None:
            raise Conflict("Cette horloge n'a pas été lancée pour cet événement.")
        check = FieldCheck()
        reason = reason.strip()
        if not reason:
            check.add("reason", "Indiquez le motif de la correction.")
        if met_at is not None:
            if met_at > now:
                check.add("met_at", "L'heure corrigée ne peut pas être dans le futur.")
            if met_at < found.started_at:
                check.add("met_at", "L'heure corrigée est antérieure au départ de l'horloge.")
        check.done()
        self.events.extend(found.correct(met_at=met_at, reason=reason, by=by))
        if met_at is None:
            # Back to running: a deadline already past is a breach, raised now.
            self.raise_due_alerts(now=now)

    def record_event(self, event: Event) -> None:
        """A fact about this crisis that changes none of its state (a delivery failed, say)."""
        self.events.append(event)

    def raise_due_alerts(self, *, now: datetime) -> None:
        if self.state is not CrisisState.COD_ACTIVE:
            return
        for clock in self.clocks.values():
            self.events.extend(clock.raise_due_alerts(now=now))

    def close(
        self, *, at: datetime, by: str, reason: str, now: datetime, opened_by_mistake: bool = False
    ) -> None:
        """`opened_by_mistake`: a duplicate or a wrong click, left out of the indicators."""
        self._ensure_open()
        check = FieldCheck()
        reason = reason.strip()
        if not reason:
            check.add("reason", "Indiquez le motif de la clôture.")
        if at > now:
            check.add("closed_at", "L'heure de clôture ne peut pas être dans le futur.")
        if at < self.reported_at:
            check.add(
                "closed_at", "L'heure de clôture est antérieure au signalement de l'événement."
            )
        check.done()
        self.state = CrisisState.CLOSED
        self.closed_at = at
        self.closed_by = by
        self.close_reason = reason
        self.opened_by_mistake = opened_by_mistake
        self.events.append(
            CrisisClosed(
                crisis_id=self.id,
                closed_at=at,
                closed_by=by,
                reason=reason,
                opened_by_mistake=opened_by_mistake,
            )
        )


def raise_all(problems: dict[str, str]) -> None:
    """Refuse with every problem at once (InvalidFields), if there is any."""
    if problems:
        raise InvalidFields(dict(problems))


def opening_problems(
    *, title: str, communes: Sequence[str], reported_at: datetime, now: datetime
) -> dict[str, str]:
    """Every reason the opening of an event would be refused, by field (a form shows them
    all at once; `Crisis.open` refuses with all of them)."""
    problems: dict[str, str] = {}
    title = title.strip()
    if not title:
        problems["title"] = "Le titre de l'événement est obligatoire."
    elif len(title) > MAX_TITLE_LENGTH:
        problems["title"] = f"Le titre ne doit pas dépasser {MAX_TITLE_LENGTH} caractères."
    if any(not c.strip() for c in communes):
        problems["communes"] = "Un nom de commune ne peut pas être vide."
    if reported_at > now:
        problems["reported_at"] = "L'heure de signalement ne peut pas être dans le futur."
    return problems


def activation_problems(
    *,
    decided_at: datetime,
    decided_by: str,
    synergi_ref: str | None,
    synergi_pattern: str,
    exercise: bool,
    now: datetime,
    policy: ClockPolicy,
) -> dict[str, str]:
    """Every reason a COD activation would be refused for its input, by field."""
    problems: dict[str, str] = {}
    if not decided_by.strip():
        problems["decided_by"] = "Indiquez qui a décidé l'activation du COD."
    if decided_at > now:
        problems["decided_at"] = "L'heure de décision ne peut pas être dans le futur."
    elif decided_at < now - timedelta(days=policy.max_backdate_days):
        problems["decided_at"] = (
            f"L'heure de décision remonte à plus de {policy.max_backdate_days} jours : "
            "vérifiez la date (l'administrateur du service peut autoriser un événement "
            "plus ancien)."
        )
    ref = (synergi_ref or "").strip() or None
    if ref is None and not exercise:
        problems["synergi_ref"] = "La référence SYNERGI est obligatoire pour un événement réel."
    if ref is not None and re.fullmatch(synergi_pattern, ref) is None:
        problems["synergi_ref"] = f"La référence SYNERGI « {ref} » n'a pas le format attendu."
    return problems


def _declaration(by: str, note: str) -> str:
    """What met a clock by declaration: who, and why when the service declared it."""
    return f"déclaration de {by}" + (f" ({note})" if note else "")
