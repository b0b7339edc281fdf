"""The FastAPI application, built around an already wired service."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

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
    templates,
)
from crisis.api.auth import CurrentActor, CurrentService
from crisis.api.errors import install_error_handlers, responses
from crisis.api.schemas import Health, UserRead
from crisis.bootstrap import Service
from crisis.web.console import install_console

DESCRIPTION = """
Orchestration de la communication de crise d'une préfecture (label Qual-e-Pref, module 7).

Tous les instants sont en UTC, au format ISO 8601 avec leur décalage. Toute requête POST
accepte un en-tête `Idempotency-Key` : une requête répétée avec la même clé renvoie la première
réponse sans rien écrire de nouveau.
"""


def create_app(service: Service) -> FastAPI:
    app = FastAPI(
        title="Communication de crise — préfecture",
        version=crisis.__version__,
        description=DESCRIPTION,
    )
    app.state.service = service
    install_error_handlers(app)
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
    app.include_router(drills.router)
    app.include_router(indicators.router)
    install_console(app)

    @app.get("/healthz", response_model=Health, tags=["service"], summary="État du service")
    def healthz(service: CurrentService) -> Health:
        with service.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        scheduler = service.scheduler
        return Health(
            status="ok",
            database=service.engine.dialect.name,
            scheduler="actif" if scheduler is not None and scheduler.running else "inactif",
        )

    @app.get(
        "/api/v1/me",
        response_model=UserRead,
        responses=responses(401),
        tags=["service"],
        summary="L'utilisateur du jeton présenté",
    )
    def me(actor: CurrentActor) -> UserRead:
        return UserRead(name=actor.name, role=actor.role)

    return app
