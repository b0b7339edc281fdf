"""Building the report of one crisis from its journal stream."""

from __future__ import annotations

from datetime import datetime

from crisis.reporting.report_models import TimingReport
from crisis.reporting.timing import build_report
from crisis.store.unit_of_work import UnitOfWork


def crisis_report(uow: UnitOfWork, crisis_id: str, *, now: datetime) -> TimingReport:
    """The report and the check of the chain, in one pass over the journal stream."""
    uow.crises.get(crisis_id)  # NotFound for an unknown crisis
    checker = uow.journal.checker(crisis_id)
    report = build_report(
        crisis_id=crisis_id,
        entries=uow.journal.checked_entries(crisis_id, checker),
        chain=checker.result,
        now=now,
    )
    if report.journal.ok:
        return report
    # A broken chain may hold entries out of order: the report follows their numbers.
    return build_report(
        crisis_id=crisis_id,
        entries=uow.journal.iter_entries(crisis_id),
        chain=checker.result(),
        now=now,
    )
