"""The console's router: errors become French HTML pages, every answer gets the strict CSP."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError

from crisis.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from crisis.failure_streak import OncePer
from crisis.services.bus import Forbidden
from crisis.web.rendering import page
from crisis.web.security import console_dependency, mark_console
from crisis.web.sessions import find_session

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[DomainError], int, str]] = [
    (Forbidden, 403, "Action non autorisée"),
    (NotFound, 404, "Introuvable"),
    (Conflict, 409, "Action impossible"),
    (InvalidInput, 422, "Saisie invalide"),
]


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return page(
        request,
        "error.html.j2",
        {"title": title, "message": message, "status": status},
        session=find_session(request),
        status_code=status,
    )


# Shared by the console and the API: one traceback a minute, whichever request met it.
_TRACEBACK_DUE = OncePer(60.0)


def log_database_unreachable(logger: logging.Logger, request: Request) -> None:
    """One line per request (the access log has one too), with the traceback at most once a
    minute: every open console polls each second."""
    logger.warning(
        "base de données injoignable : %s %s",
        request.method,
        request.url.path,
        exc_info=_TRACEBACK_DUE.due(),
    )


def database_unreachable_page(request: Request, *, console: bool = True) -> Response:
    """503 when the database does not answer; without the session, which lives in it."""
    mark_console(request)  # no inline script or style: the strict policy
    advice = (
        "Réessayez dans un instant ; si cela dure, prévenez l'administrateur du service. Une "
        "action envoyée à l'instant n'a peut-être pas été enregistrée : vérifiez-la sur sa page "
        "avant de la refaire."
        if console
        else "Réessayez dans un instant : rechargez cette page, ou rouvrez le lien reçu."
    )
    response = page(
        request,
        "error.html.j2",
        {
            "title": "Base de données injoignable",
            "message": f"Le service ne parvient pas à joindre sa base de données. {advice}",
            "status": 503,
            "console": console,
        },
        session=None,
        status_code=503,
    )
    response.headers["Retry-After"] = "5"
    return response


class ConsoleRoute(APIRoute):
    """A refusal from the service layer becomes a page saying why, with the API's status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as error:
                for kind, status, title in _STATUS:
                    if isinstance(error, kind):
                        return error_page(request, status, title, error.message)
                raise
            except OperationalError:
                log_database_unreachable(log, request)
                return database_unreachable_page(request)

        return handle


def console_router() -> APIRouter:
    return APIRouter(
        route_class=ConsoleRoute,
        dependencies=[Depends(console_dependency)],
        include_in_schema=False,
    )
