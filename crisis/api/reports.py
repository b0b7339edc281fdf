"""The timing report over HTTP, in every format the CLI writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from crisis.api.auth import CurrentActor, CurrentService
from crisis.api.errors import responses
from crisis.reporting.render import ReportFormat, render
from crisis.reporting.service import crisis_report

router = APIRouter(prefix="/api/v1", tags=["rapports"])

MEDIA_TYPES = {
    ReportFormat.JSON: "application/json",
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.MD: "text/markdown; charset=utf-8",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.PDF: "application/pdf",
}


@router.get(
    "/crises/{crisis_id}/report",
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}, **responses(401, 404, 422)},
    summary="Rapport de chronométrage, calculé d'après le journal",
)
def crisis_timing_report(
    crisis_id: str,
    service: CurrentService,
    _: CurrentActor,
    fmt: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
) -> Response:
    with service.bus.reading() as uow:
        timing = crisis_report(uow, crisis_id, now=service.clock.now())
    return Response(render(timing, fmt), media_type=MEDIA_TYPES[fmt])
