"""Routes of the Qual-e-Pref indicators pack and of the RETEX of an event."""

from __future__ import annotations

import json
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from crisis.api.auth import CurrentActor, CurrentService, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import responses
from crisis.domain.errors import NotFound
from crisis.domain.retex import RecordRetex, UpdateRetexAction
from crisis.iso_day import IsoDay
from crisis.reporting.indicators_render import (
    MEDIA_TYPES,
    IndicatorsFormat,
    render_indicators,
)
from crisis.reporting.indicators_service import indicators_view
from crisis.services.retex_input import RetexActionWrite, RetexWrite
from crisis.services.retex_views import RetexView, current_retex
from crisis.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["indicateurs et RETEX"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)
DOWNLOAD_NAMES = {
    IndicatorsFormat.PDF: "indicateurs.pdf",
    IndicatorsFormat.XLSX: "indicateurs.xlsx",
    IndicatorsFormat.CSV: "indicateurs.csv",
}


@router.get(
    "/indicators",
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}, **responses(401, 422)},
    summary="Indicateurs Qual-e-Pref d'une période (engagements 47 à 50), d'après le journal",
)
def indicators(
    service: CurrentService,
    _: CurrentActor,
    du: Annotated[IsoDay, Query(description="Premier jour inclus (calendrier de Paris).")],
    au: Annotated[IsoDay, Query(description="Dernier jour inclus (calendrier de Paris).")],
    fmt: Annotated[IndicatorsFormat, Query(alias="format")] = IndicatorsFormat.JSON,
) -> Response:
    with service.bus.reading() as uow:
        pack = indicators_view(uow, first=du, last=au, now=service.clock.now())
    headers = {}
    if fmt in DOWNLOAD_NAMES:
        headers["Content-Disposition"] = f'attachment; filename="{DOWNLOAD_NAMES[fmt]}"'
    document = render_indicators(pack, fmt, service=service.settings.prefecture_name)
    return Response(document, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/indicators/schema",
    responses=responses(401),
    summary="Schéma JSON du dossier d'indicateurs",
)
def indicators_schema(_: CurrentActor) -> Any:
    text = (resources.files("crisis.reporting") / "indicators.schema.json").read_text("utf-8")
    return json.loads(text)


def _retex_of(uow: UnitOfWork, crisis_id: str) -> RetexView:
    uow.crises.get(crisis_id)  # NotFound for an unknown event
    retex = current_retex(crisis_id, uow.journal.entries(crisis_id))
    if retex is None:
        raise NotFound("Aucun retour d'expérience n'est enregistré pour cet événement.")
    return retex


def _present_retex(uow: UnitOfWork, crisis_id: Any) -> tuple[int, Any]:
    return 200, _retex_of(uow, str(crisis_id)).model_dump(mode="json")


@router.get(
    "/crises/{crisis_id}/retex",
    response_model=RetexView,
    responses=responses(401, 404),
    summary="Le retour d'expérience d'un événement",
)
def read_retex(crisis_id: str, service: CurrentService, _: CurrentActor) -> RetexView:
    with service.bus.reading() as uow:
        return _retex_of(uow, crisis_id)


@router.post(
    "/crises/{crisis_id}/retex",
    response_model=RetexView,
    responses=WRITE_ERRORS,
    summary="Enregistrer le RETEX d'un événement clos, ou le remplacer par une version modifiée",
    dependencies=[allowed(RecordRetex)],  # 403 before any check of the body
)
def record_retex(
    crisis_id: str,
    body: RetexWrite,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = body.model_dump_json().encode()
    command = body.command(crisis_id)
    return run_command(service, actor, request, payload, command, idempotency_key, _present_retex)


@router.post(
    "/crises/{crisis_id}/retex/actions/{action_id}",
    response_model=RetexView,
    responses=WRITE_ERRORS,
    summary="Changer l'état d'une action corrective (a_faire, en_cours, faite)",
    dependencies=[allowed(UpdateRetexAction)],
)
def update_retex_action(
    crisis_id: str,
    action_id: str,
    body: RetexActionWrite,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = body.model_dump_json().encode()
    command = UpdateRetexAction(crisis_id=crisis_id, action_id=action_id, state=body.state)
    return run_command(service, actor, request, payload, command, idempotency_key, _present_retex)
