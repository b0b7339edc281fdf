"""Routes of `/api/v1/crises`: open, activate, declare, record, read, close."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from crisis.api.auth import BEARER_SECURITY, CurrentActor, CurrentService, actor_of, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import DuplicateBody, responses
from crisis.api.event_reads import ClockList, EventReads
from crisis.api.schemas import (
    CellOperationalCreate,
    CodActivationCreate,
    CrisisClose,
    CrisisCreate,
    DeliveryCreate,
    DeliveryRecorded,
)
from crisis.api.text import MAX_STORED_INT, Instant
from crisis.domain.commands import (
    ActivateCod,
    CloseCrisis,
    CodDecision,
    Command,
    DeclareCellOperational,
    OpenCrisis,
    RecordDelivery,
)
from crisis.domain.vocabulary import CrisisState
from crisis.services.views import (
    AlertView,
    ChainCheckView,
    CrisisView,
    DeliveryView,
    JournalEntryView,
    alert_view,
    chain_check_view,
    crisis_view,
    delivery_view,
    journal_entry_view,
)
from crisis.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1/crises", tags=["événements"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)


# The most frequent requests, first: the router tries its routes in order. Their token is
# checked in their body (`actor_of`), without a dependency to solve.
@router.get(
    "/{crisis_id}",
    response_model=CrisisView,
    responses=responses(401, 404),
    summary="Lire un événement et ses horloges",
    openapi_extra=BEARER_SECURITY,
)
async def read_crisis(crisis_id: str, request: Request) -> Response:
    await actor_of(request)
    body = await _event_reads(request).answer(crisis_id, "crisis")
    return Response(body, media_type="application/json")


@router.get(
    "/{crisis_id}/clocks",
    response_model=ClockList,
    responses=responses(401, 404),
    summary="Lire les horloges d'un événement",
    openapi_extra=BEARER_SECURITY,
)
async def read_clocks(crisis_id: str, request: Request) -> Response:
    await actor_of(request)
    body = await _event_reads(request).answer(crisis_id, "clocks")
    return Response(body, media_type="application/json")


def _event_reads(request: Request) -> EventReads:
    reads: EventReads = request.app.state.event_reads
    return reads


def _decision(body: CodActivationCreate) -> CodDecision:
    return CodDecision(
        decided_by=body.decided_by, synergi_ref=body.synergi_ref, decided_at=body.decided_at
    )


def _present_crisis(status: int) -> Any:
    def present(uow: UnitOfWork, crisis_id: Any) -> tuple[int, Any]:
        return status, crisis_view(uow.crises.get(str(crisis_id))).model_dump(mode="json")

    return present


def _run(
    service: CurrentService,
    actor: CurrentActor,
    request: Request,
    body: BaseModel,
    command: Command,
    key: str | None,
    present: Any,
) -> JSONResponse:
    payload = body.model_dump_json().encode()
    return run_command(service, actor, request, payload, command, key, present)


@router.post(
    "",
    dependencies=[allowed(OpenCrisis)],
    status_code=201,
    response_model=CrisisView,
    responses=responses(401, 403, 422)
    | {
        409: {
            "model": DuplicateBody,
            "description": "Un événement semblable est déjà ouvert (`likely_duplicate`, "
            "nommé dans `existing`) : rien n'est créé, sauf avec `distinct: true`.",
        }
    },
    summary="Ouvrir un événement majeur (et, au besoin, activer le COD)",
)
def open_crisis(
    body: CrisisCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = OpenCrisis(
        title=body.title,
        kind=body.kind,
        exercise=body.exercise,
        communes=tuple(body.communes),
        reported_at=body.reported_at,
        activation=_decision(body.cod_activation) if body.cod_activation else None,
        check_duplicates=not body.distinct,
    )
    return _run(service, actor, request, body, command, idempotency_key, _present_crisis(201))


@router.post(
    "/{crisis_id}/cod-activation",
    dependencies=[allowed(ActivateCod)],
    status_code=201,
    response_model=CrisisView,
    responses=WRITE_ERRORS,
    summary="Enregistrer la décision d'activation du COD ; démarre les horloges",
)
def activate_cod(
    crisis_id: str,
    body: CodActivationCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = ActivateCod(crisis_id=crisis_id, decision=_decision(body))
    return _run(service, actor, request, body, command, idempotency_key, _present_crisis(201))


@router.post(
    "/{crisis_id}/cell-operational",
    dependencies=[allowed(DeclareCellOperational)],
    response_model=CrisisView,
    responses=WRITE_ERRORS,
    summary="Déclarer la cellule de communication opérationnelle (engagement 47)",
)
def declare_cell_operational(
    crisis_id: str,
    body: CellOperationalCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = DeclareCellOperational(
        crisis_id=crisis_id, declared_at=body.declared_at, note=body.note
    )
    return _run(service, actor, request, body, command, idempotency_key, _present_crisis(200))


@router.post(
    "/{crisis_id}/deliveries",
    dependencies=[allowed(RecordDelivery)],
    status_code=201,
    response_model=DeliveryRecorded,
    responses=WRITE_ERRORS,
    summary="Enregistrer une diffusion hors service (conférence de presse, appels aux maires…)",
)
def record_delivery(
    crisis_id: str,
    body: DeliveryCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = RecordDelivery(
        crisis_id=crisis_id,
        audience=body.audience,
        delivered_at=body.delivered_at,
        means=body.means,
        recipients=body.recipients,
    )

    def present(_: UnitOfWork, delivery_id: Any) -> tuple[int, Any]:
        return 201, {"delivery_id": delivery_id, "crisis_id": crisis_id}

    return _run(service, actor, request, body, command, idempotency_key, present)


@router.post(
    "/{crisis_id}/close",
    dependencies=[allowed(CloseCrisis)],
    response_model=CrisisView,
    responses=WRITE_ERRORS,
    summary="Clore l'événement, au besoin comme ouvert par erreur (préfet ou administrateur)",
)
def close_crisis(
    crisis_id: str,
    body: CrisisClose,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = CloseCrisis(
        crisis_id=crisis_id,
        reason=body.reason,
        closed_at=body.closed_at,
        opened_by_mistake=body.opened_by_mistake,
    )
    return _run(service, actor, request, body, command, idempotency_key, _present_crisis(200))


class CrisisList(BaseModel):
    crises: list[CrisisView]


@router.get(
    "",
    response_model=CrisisList,
    responses=responses(401, 422),
    summary="Lister les événements (actifs, exercices, période)",
)
def list_crises(
    service: CurrentService,
    _: CurrentActor,
    active: Annotated[
        bool | None, Query(description="Seulement les non clos (ou les clos).")
    ] = None,
    exercise: Annotated[bool | None, Query(description="Exercices ou événements réels.")] = None,
    reported_from: Annotated[Instant | None, Query(alias="from")] = None,
    reported_to: Annotated[Instant | None, Query(alias="to")] = None,
) -> CrisisList:
    states: list[CrisisState] | None = None
    if active is True:
        states = [CrisisState.REPORTED, CrisisState.COD_ACTIVE]
    elif active is False:
        states = [CrisisState.CLOSED]
    with service.bus.reading() as uow:
        found = uow.crises.find(
            states=states,
            exercise=exercise,
            reported_from=reported_from,
            reported_to=reported_to,
        )
    return CrisisList(crises=[crisis_view(c) for c in found])


class DeliveryList(BaseModel):
    deliveries: list[DeliveryView]


@router.get(
    "/{crisis_id}/deliveries",
    response_model=DeliveryList,
    responses=responses(401, 404),
    summary="Lister les diffusions enregistrées hors service",
)
def list_deliveries(crisis_id: str, service: CurrentService, _: CurrentActor) -> DeliveryList:
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        found = uow.crises.manual_deliveries(crisis_id)
    return DeliveryList(deliveries=[delivery_view(d) for d in found])


class AlertList(BaseModel):
    alerts: list[AlertView]


@router.get(
    "/{crisis_id}/alerts",
    response_model=AlertList,
    responses=responses(401, 404),
    summary="Alertes levées : approches d'échéance et dépassements",
)
def list_alerts(crisis_id: str, service: CurrentService, _: CurrentActor) -> AlertList:
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        found = uow.crises.alerts(crisis_id)
    return AlertList(alerts=[alert_view(a) for a in found])


class JournalPage(BaseModel):
    crisis_id: str
    entries: list[JournalEntryView]


@router.get(
    "/{crisis_id}/journal",
    response_model=JournalPage,
    responses=responses(401, 404, 422),
    summary="Main courante : les entrées du journal, dans l'ordre",
)
def read_journal(
    crisis_id: str,
    service: CurrentService,
    _: CurrentActor,
    after: Annotated[
        int, Query(ge=0, le=MAX_STORED_INT, description="Seulement après ce numéro d'ordre.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> JournalPage:
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        entries = uow.journal.entries(crisis_id, after_seq=after, limit=limit)
    return JournalPage(crisis_id=crisis_id, entries=[journal_entry_view(e) for e in entries])


@router.get(
    "/{crisis_id}/journal/verify",
    response_model=ChainCheckView,
    responses=responses(401, 404),
    summary="Vérifier la chaîne d'empreintes du journal",
)
def verify_journal(crisis_id: str, service: CurrentService, _: CurrentActor) -> ChainCheckView:
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        return chain_check_view(uow.journal.verify(crisis_id))
