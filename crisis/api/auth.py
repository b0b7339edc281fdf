"""Bearer tokens: each request is made by a user with one role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crisis.api.errors import Unauthenticated
from crisis.bootstrap import Service
from crisis.domain.commands import Command
from crisis.services.bus import ensure_may_run
from crisis.services.context import Actor

bearer = HTTPBearer(auto_error=False, description="Jeton personnel remis par `crisis user add`.")


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated()
    service = service_of(request)
    with service.bus.unit_of_work() as uow:
        user = uow.users.by_token(credentials.credentials)
    if user is None:
        raise Unauthenticated()
    return Actor(name=user.name, role=user.role, user_id=user.id)


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentService = Annotated[Service, Depends(service_of)]


def allowed(command_type: type[Command]) -> Any:
    """A route dependency deciding authorisation before the body or the query is examined."""

    def check(actor: CurrentActor) -> None:
        ensure_may_run(actor, command_type)

    return Depends(check)
