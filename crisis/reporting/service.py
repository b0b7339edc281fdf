"""Building the report of one crisis from its journal stream."""

from __future__ import annotations

from datetime import datetime

from crisis.reporting.report_models import TimingReport
from crisis.reporting.timing import build_report
from crisis.store.unit_of_work import UnitOfWork


def crisis_report(uow: UnitOfWork, crisis_id: str, *, now: datetime) -> TimingReport:
    uow.crises.get(crisis_id)  # NotFound for an unknown crisis
    return build_report(
        crisis_id=crisis_id,
        entries=uow.journal.iter_entries(crisis_id),
        chain=uow.journal.verify(crisis_id),
        now=now,
    )
