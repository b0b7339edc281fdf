"""The console's router: errors become French HTML pages, every answer gets the strict CSP."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute

from crisis.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from crisis.services.bus import Forbidden
from crisis.web.rendering import page
from crisis.web.security import console_dependency
from crisis.web.sessions import find_session

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

        return handle


def console_router() -> APIRouter:
    return APIRouter(
        route_class=ConsoleRoute,
        dependencies=[Depends(console_dependency)],
        include_in_schema=False,
    )
