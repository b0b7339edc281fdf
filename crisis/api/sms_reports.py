"""Delivery reports of a REST SMS provider, reached without a token: OVHcloud calls its SMS
user's callback URL (`/api/v1/sms/ovh/{callback_token}`) with the report in the query string.

The path's secret names the route (the production or the exercise SMS user); OVHcloud signs
nothing in these calls, so an unknown secret gets 404 and changes nothing. A final report is
recorded through the same recorder as the SMPP receipts (`crisis.receipt_recorder`), batched
with the others arriving together; it is answered 200 once recorded, 503 otherwise.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from channels.config import OvhSmsConfig
from channels.ovh.reports import parse_report
from crisis.api.auth import CurrentService
from crisis.api.errors import error_response, responses
from crisis.bootstrap import Service
from crisis.delivery.config import DeliveryConfig
from crisis.receipt_recorder import ReceiptRecorder
from crisis.store.receipts_repository import route_of

router = APIRouter(tags=["messages"])

CHANNEL = "sms"


def route_for_token(config: DeliveryConfig, token: str) -> str | None:
    """The route (production or exercise SMS user) whose callback token this is."""
    found = None
    for exercise, section in ((False, config.production.sms), (True, config.exercise.sms)):
        if not isinstance(section, OvhSmsConfig):
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
    if receipt is None:
        return JSONResponse({"statut": "avis intermédiaire, ignoré"})
    if await _recorder(request, service, route)(receipt):
        return JSONResponse({"statut": "enregistré"})
    return error_response(
        503, "unavailable", "Accusé non enregistré pour l'instant : renvoyez-le plus tard."
    )
