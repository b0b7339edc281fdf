"""The operations side of the API: request ids and access lines (for the one middleware,
`crisis.api.front`), /metrics, /healthz, /readyz."""

from __future__ import annotations

import hmac
import itertools
import logging
import re
import secrets
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import Scope

from crisis.api.access_log import mask_secrets
from crisis.api.auth import CurrentService
from crisis.api.readiness import readiness
from crisis.api.schemas import Health
from crisis.bootstrap import Service

log = logging.getLogger("crisis.http")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

router = APIRouter(tags=["exploitation"])


class RequestIds:
    """An offered X-Request-ID when it is well formed, else a new one: a random prefix of the
    application (48 bits) and a counter, unique across processes and restarts in practice,
    for a fraction of `uuid4`'s cost."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(6) + "-"
        self._next = itertools.count(1).__next__  # atomic under the GIL: threads may share it

    def take(self, scope: Scope) -> str:
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                offered: str = value.decode("latin-1")
                if _VALID_REQUEST_ID.fullmatch(offered):
                    return offered
                break
        return f"{self._prefix}{self._next():x}"


class RequestObserver:
    """After each request: its count and duration for /metrics, and its access line."""

    def __init__(self, service: Service | None) -> None:
        self._service = service
        # prometheus_client's `labels()` costs more than the increment: children are kept.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._durations: dict[str, Any] = {}

    def __call__(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "(inconnue)"
        method = str(scope.get("method", ""))
        if self._service is not None:
            key = (template, method, status)
            counter = self._counters.get(key)
            if counter is None:
                metrics = self._service.metrics
                counter = self._counters[key] = metrics.http_requests.labels(
                    template, method, str(status)
                )
            counter.inc()
            duration = self._durations.get(template)
            if duration is None:
                duration = self._durations[template] = self._service.metrics.http_duration.labels(
                    template
                )
            duration.observe(elapsed)
        path = str(scope.get("path", ""))
        # Probes and scrapes come every few seconds: visible at DEBUG only.
        level = logging.DEBUG if path in QUIET_PATHS and status < 400 else logging.INFO
        if log.isEnabledFor(level):  # the line is built only when it is written
            # No working /ack/ link in a log.
            log.log(
                level, "%s %s → %d (%.0f ms)", method, mask_secrets(path), status, elapsed * 1000
            )


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
    app.include_router(router)
