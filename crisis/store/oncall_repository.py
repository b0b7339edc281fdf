"""The on-call store: the roster and the callouts (in their own modules), and the CIP
activations, behind the one repository the unit of work exposes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, or_, select, update

from crisis.domain.vocabulary import CrisisState
from crisis.store.ack_links_repository import AckLinkRepository
from crisis.store.callout_repository import CalloutRepository
from crisis.store.roster_repository import RosterRepository
from crisis.store.tables import (
    cip_activations,
    crises,
)


@dataclass(frozen=True, slots=True)
class CipActivation:
    crisis_id: str
    numero_unique: str
    ordered_at: datetime
    ordered_by: str
    operational_at: datetime | None
    deactivated_at: datetime | None
    deactivated_by: str | None
    deactivation_reason: str | None


class OncallRepository(RosterRepository, CalloutRepository, AckLinkRepository):
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # -- the CIP ---------------------------------------------------------------------------

    def add_cip(self, activation: CipActivation) -> None:
        self._conn.execute(
            insert(cip_activations).values(
                crisis_id=activation.crisis_id,
                numero_unique=activation.numero_unique,
                ordered_at=activation.ordered_at,
                ordered_by=activation.ordered_by,
            )
        )

    def cip(self, crisis_id: str) -> CipActivation | None:
        return self.cips_of([crisis_id]).get(crisis_id)

    def cips_of(self, crisis_ids: Sequence[str]) -> dict[str, CipActivation]:
        """The CIP activation of each of these crises that has one, in one statement."""
        rows = self._conn.execute(
            select(cip_activations).where(cip_activations.c.crisis_id.in_(list(crisis_ids)))
        )
        return {
            row.crisis_id: CipActivation(
                crisis_id=row.crisis_id,
                numero_unique=row.numero_unique,
                ordered_at=row.ordered_at,
                ordered_by=row.ordered_by,
                operational_at=row.operational_at,
                deactivated_at=row.deactivated_at,
                deactivated_by=row.deactivated_by,
                deactivation_reason=row.deactivation_reason,
            )
            for row in rows
        }

    def set_cip_operational(self, crisis_id: str, at: datetime) -> bool:
        result = self._conn.execute(
            update(cip_activations)
            .where(
                cip_activations.c.crisis_id == crisis_id,
                or_(
                    cip_activations.c.operational_at.is_(None),
                    cip_activations.c.operational_at > at,
                ),
            )
            .values(operational_at=at)
        )
        return result.rowcount == 1

    def set_cip_deactivated(self, crisis_id: str, *, at: datetime, by: str, reason: str) -> bool:
        result = self._conn.execute(
            update(cip_activations)
            .where(
                cip_activations.c.crisis_id == crisis_id,
                cip_activations.c.deactivated_at.is_(None),
            )
            .values(deactivated_at=at, deactivated_by=by, deactivation_reason=reason)
        )
        return result.rowcount == 1

    def open_cips(self, *, exercise: bool) -> list[CipActivation]:
        """The CIPs answering the public now: declared operational, not closed, their event
        still active; the most recently opened first."""
        query = (
            select(cip_activations.c.crisis_id)
            .join(crises, crises.c.id == cip_activations.c.crisis_id)
            .where(
                crises.c.exercise == exercise,
                crises.c.state == CrisisState.COD_ACTIVE.value,
                cip_activations.c.operational_at.is_not(None),
                cip_activations.c.deactivated_at.is_(None),
            )
            .order_by(cip_activations.c.operational_at.desc(), cip_activations.c.crisis_id)
        )
        found = [self.cip(crisis_id) for crisis_id in list(self._conn.scalars(query))]
        return [cip for cip in found if cip is not None]
