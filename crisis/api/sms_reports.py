"""Delivery reports of the REST SMS providers, reached without a token: OVHcloud calls its
SMS user's callback URL (`/api/v1/sms/ovh/{callback_token}`) with the report in the query
string; the « passerelle HTTP générique » POSTs its reports as JSON to
`/api/v1/sms/passerelle/{callback_token}`.

The path's secret names the route (the production or the exercise account); the providers
sign nothing in these calls, so an unknown secret gets 404 and changes nothing. A final report
is recorded through the same recorder as the SMPP receipts (`crisis.receipt_recorder`),
batched with the others arriving together; it is answered 200 once recorded, 503 otherwise.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from channels.config import OvhSmsConfig, SmsConfig
from channels.contract import HandsetReceipt
from channels.gateway_reports import GatewayReport, receipt_of
from channels.ovh.reports import parse_report
from crisis.api.auth import CurrentService
from crisis.api.errors import error_response, responses
from crisis.bootstrap import Service
from crisis.delivery.config import DeliveryConfig
from crisis.receipt_recorder import ReceiptRecorder
from crisis.store.receipts_repository import route_of

router = APIRouter(tags=["messages"])

CHANNEL = "sms"
# The gateway's body: one report, or a list of them (docs/integrations/sms.md).
_REPORTS: TypeAdapter[GatewayReport | list[GatewayReport]] = TypeAdapter(
    GatewayReport | list[GatewayReport]
)


def route_for_token(
    config: DeliveryConfig, token: str, kind: type[OvhSmsConfig | SmsConfig] = OvhSmsConfig
) -> str | None:
    """The route (production or exercise account of a `kind` of provider) whose callback
    token this is."""
    found = None
    for exercise, section in ((False, config.production.sms), (True, config.exercise.sms)):
        if not isinstance(section, kind) or section.callback_token is None:
            continue
        expected = section.callback_token.get_secret_value().encode("utf-8")
        if hmac.compare_digest(expected, token.encode("utf-8")):
            found = route_of(CHANNEL, exercise=exercise)
    return found


def _recorder(request: Request, service: Service, route: str) -> ReceiptRecorder:
    """This application's recorder of a route, made at its first report."""
    recorders: dict[str, ReceiptRecorder] = request.app.state.__dict__.setdefault(
        "sms_report_recorders", {}
    )
    if route not in recorders:
        recorders[route] = ReceiptRecorder(service.bus, route=route, metrics=service.metrics)
    return recorders[route]


_DOC = {
    "summary": "Accusé de remise d'un SMS envoyé par OVHcloud (URL de rappel de l'utilisateur SMS)",
    "responses": {
        **responses(404),
        503: {"description": "Accusé non enregistré : OVHcloud peut le renvoyer."},
    },
}
Token = Annotated[str, Path(max_length=200)]


@router.get("/api/v1/sms/ovh/{token}", **_DOC)  # type: ignore[arg-type]
async def ovh_delivery_report(
    token: Token, request: Request, service: CurrentService
) -> JSONResponse:
    # OVHcloud documents the report as query-string values, not the method of the call: GET
    # and POST are both taken.
    return await _report(token, request, service)


@router.post("/api/v1/sms/ovh/{token}", **_DOC)  # type: ignore[arg-type]
async def ovh_delivery_report_posted(
    token: Token, request: Request, service: CurrentService
) -> JSONResponse:
    return await _report(token, request, service)


async def _report(token: str, request: Request, service: Service) -> JSONResponse:
    route = route_for_token(service.catalog.config, token)
    if route is None:
        return error_response(404, "not_found", "Adresse de rappel inconnue.")
    receipt = parse_report(
        dict(request.query_params), channel=CHANNEL, received_at=service.clock.now()
    )
    return await _record(request, service, route, [receipt])


@router.post(
    "/api/v1/sms/passerelle/{token}",
    summary="Accusés de remise de la passerelle HTTP générique (un objet ou une liste)",
    responses={
        **responses(404, 422),
        503: {"description": "Accusés non enregistrés : la passerelle peut les renvoyer."},
    },
)
async def gateway_delivery_reports(
    token: Token, request: Request, service: CurrentService
) -> JSONResponse:
    route = route_for_token(service.catalog.config, token, SmsConfig)
    if route is None:  # before the body is read: a stranger learns nothing of its shape
        return error_response(404, "not_found", "Adresse de rappel inconnue.")
    try:
        reports = _REPORTS.validate_json(await request.body())
    except ValidationError as invalid:
        raise RequestValidationError(invalid.errors()) from None
    now = service.clock.now()
    batch = reports if isinstance(reports, list) else [reports]
    return await _record(
        request, service, route, [receipt_of(r, channel=CHANNEL, received_at=now) for r in batch]
    )


async def _record(
    request: Request, service: Service, route: str, receipts: list[HandsetReceipt | None]
) -> JSONResponse:
    """Each final receipt recorded (intermediate notices ignored): 200 once all are."""
    final = [r for r in receipts if r is not None]
    recorder = _recorder(request, service, route)
    # Handed over together, so that they share the recorder's batch.
    recorded = await asyncio.gather(*(recorder(r) for r in final))
    if not all(recorded):
        return error_response(
            503, "unavailable", "Accusé non enregistré pour l'instant : renvoyez-le plus tard."
        )
    ignored = len(receipts) - len(final)
    return JSONResponse({"enregistrés": len(final), "avis intermédiaires ignorés": ignored})
