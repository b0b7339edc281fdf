"""The indicators of a period, read from the store's journal: the one view every entry point
(CLI, API, console page) calls."""

from __future__ import annotations

from datetime import date, datetime

from crisis.reporting.indicators import build_indicators, make_period
from crisis.reporting.indicators_model import Indicators
from crisis.services.programme_handlers import PROGRAMME_CRISIS_ID
from crisis.store.unit_of_work import UnitOfWork


def indicators_view(uow: UnitOfWork, *, first: date, last: date, now: datetime) -> Indicators:
    period = make_period(first, last)
    streams = {stream: uow.journal.entries(stream) for stream in uow.journal.streams()}
    return build_indicators(
        streams=streams,
        verify=uow.journal.verify,
        period=period,
        now=now,
        excluded={PROGRAMME_CRISIS_ID},
    )
