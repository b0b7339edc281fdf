"""The FastAPI application, built around an already wired service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

import crisis
from crisis.api import (
    contacts,
    crises,
    drafts,
    drills,
    indicators,
    messages,
    oncall,
    oncall_public,
    public,
    reports,
    sms_reports,
    templates,
)
from crisis.api.access_log import install_access_log_masking
from crisis.api.auth import CurrentActor, TokenCache
from crisis.api.errors import install_error_handlers, responses
from crisis.api.event_reads import EventReads
from crisis.api.front import Front
from crisis.api.last_published import LastPublished
from crisis.api.limits import document_errors
from crisis.api.operations import install_operations
from crisis.api.schemas import UserRead
from crisis.bootstrap import Service
from crisis.web.console import install_console, install_polls

DESCRIPTION = """
Orchestration de la communication de crise d'une préfecture (label Qual-e-Pref, module 7).

Tous les instants sont en UTC, au format ISO 8601 avec leur décalage. Toute requête POST
accepte un en-tête `Idempotency-Key` : une requête répétée avec la même clé renvoie la première
réponse sans rien écrire de nouveau.
"""


def create_app(service: Service) -> FastAPI:
    threads = service.settings.api_threads

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # As many request threads as pooled connections: a thread never waits for one.
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        async with service.quick_reads.serving():  # on PostgreSQL, the loop's own connection
            yield

    app = FastAPI(
        title="Communication de crise — préfecture",
        version=crisis.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.last_published = LastPublished()
    settings = service.settings

    def body_limit(path: str) -> int:
        # The routes that take a file (CSV imports) accept more than the JSON ones.
        if path.endswith("/import"):
            return settings.max_upload_bytes
        return settings.max_body_bytes

    # The one middleware (pure ASGI, one pass): limits, request id, security headers, HEAD,
    # metrics and access line.
    app.add_middleware(Front, body_limit=body_limit, own_pages=("/ack/",), service=service)
    app.state.token_cache = TokenCache(service.settings.auth_cache_seconds)
    app.state.event_reads = EventReads(service)
    install_error_handlers(app)
    install_access_log_masking()
    install_polls(app)  # the console's polled fragments, then the API's reads: tried first
    app.include_router(crises.router)
    contacts.install_contact_error_handlers(app)
    app.include_router(contacts.router)
    app.include_router(messages.router)
    app.include_router(drafts.router)
    app.include_router(templates.router)
    app.include_router(public.router)
    app.include_router(reports.router)
    app.include_router(oncall.router)
    app.include_router(oncall_public.router)
    app.include_router(sms_reports.router)
    app.include_router(drills.router)
    app.include_router(indicators.router)
    install_operations(app)
    install_console(app, demonstration=service.demonstration)

    @app.get(
        "/api/v1/me",
        response_model=UserRead,
        responses=responses(401),
        tags=["service"],
        summary="L'utilisateur du jeton présenté",
    )
    def me(actor: CurrentActor) -> UserRead:
        return UserRead(name=actor.name, role=actor.role)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
