"""The operations side of the API: request ids and access lines, /metrics, /healthz, /readyz."""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crisis.api.access_log import mask_secrets
from crisis.api.auth import CurrentService
from crisis.api.readiness import readiness
from crisis.api.schemas import Health
from crisis.bootstrap import Service
from crisis.ops.logs import log_context

log = logging.getLogger("crisis.http")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

router = APIRouter(tags=["exploitation"])


class RequestContextMiddleware:
    """Accept or make an X-Request-ID, log one line per request, count it for the metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        offered = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if _VALID_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._observe(scope, status, time.perf_counter() - started)

    @staticmethod
    def _observe(scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "(inconnue)"
        method = str(scope.get("method", ""))
        app = scope.get("app")
        service: Service | None = getattr(getattr(app, "state", None), "service", None)
        if service is not None:
            service.metrics.http_requests.labels(template, method, str(status)).inc()
            service.metrics.http_duration.labels(template).observe(elapsed)
        path = mask_secrets(str(scope.get("path", "")))  # no working /ack/ link in a log
        # Probes and scrapes come every few seconds: visible at DEBUG only.
        level = logging.DEBUG if path in QUIET_PATHS and status < 400 else logging.INFO
        log.log(level, "%s %s → %d (%.0f ms)", method, path, status, elapsed * 1000)


def _authorised(request: Request, service: Service) -> bool:
    token = service.settings.metrics_token
    if token is None:
        return True
    offered = request.headers.get("authorization", "")
    expected = f"Bearer {token.get_secret_value()}"
    return hmac.compare_digest(offered.encode(), expected.encode())


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, service: CurrentService) -> Response:
    if not _authorised(request, service):
        return JSONResponse(
            {"detail": "Jeton des métriques absent ou invalide (Authorization: Bearer …)."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", response_model=Health, summary="Le processus répond (vivacité)")
def healthz(service: CurrentService) -> Health:
    scheduler = service.scheduler
    return Health(
        status="ok",
        database=service.engine.dialect.name,
        scheduler=scheduler.role.value if scheduler is not None else "aucun",
        worker=service.settings.worker_name,
    )


@router.get(
    "/readyz",
    summary="Le processus peut servir : base, migrations, planificateur, répartiteur",
    responses={503: {"description": "Pas prêt ; `reasons` dit pourquoi, en français."}},
)
def readyz(service: CurrentService) -> JSONResponse:
    report: dict[str, Any] = readiness(service)
    return JSONResponse(report, status_code=200 if report["ready"] else 503)


def install_operations(app: FastAPI) -> None:
    app.add_middleware(RequestContextMiddleware)
    app.include_router(router)
