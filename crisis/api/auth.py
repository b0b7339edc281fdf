"""Bearer tokens: each request is made by a user with one role.

Who holds a token is remembered for `auth_cache_seconds` (5 by default), keyed by the token's
digest: a read then costs one transaction, not two. A user deactivated in the database loses
access after at most that long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool

from crisis.api.errors import BEFORE_BODY, Unauthenticated
from crisis.bootstrap import Service
from crisis.domain.commands import Command
from crisis.services.bus import ensure_may_run
from crisis.services.context import Actor
from crisis.store.users_repository import token_digest

bearer = HTTPBearer(auto_error=False, description="Jeton personnel remis par `crisis user add`.")


class TokenCache:
    """Recently seen tokens (by digest) and their actor, for a few seconds; bounded in size."""

    def __init__(
        self,
        ttl_seconds: float,
        *,
        max_entries: int = 4096,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._monotonic = monotonic
        self._entries: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Actor | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry[0] <= self._monotonic():
                del self._entries[digest]
                return None
            return entry[1]

    def clear(self) -> None:
        """Forget every token at once: after a revocation or a change of role."""
        with self._lock:
            self._entries.clear()

    def put(self, digest: str, actor: Actor) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            self._entries.pop(digest, None)
            if len(self._entries) >= self._max:
                del self._entries[next(iter(self._entries))]  # the oldest
            self._entries[digest] = (self._monotonic() + self._ttl, actor)


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


# The dependencies below are coroutines: FastAPI runs a plain function dependency in the thread
# pool, and each such hop costs more than the dependency itself. Only a token missing from the
# cache goes to the database, in the pool.


async def current_service(request: Request) -> Service:
    return service_of(request)


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated()
    return await _actor_of_token(request, credentials.credentials)


async def actor_of(request: Request) -> Actor:
    """`current_actor` called from a route's body: the hottest reads declare no dependency
    (FastAPI's solving of two nested ones cost more than the rest of the read) and name the
    bearer scheme in their OpenAPI operation themselves (`BEARER_SECURITY`)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated()
    return await _actor_of_token(request, token)


# What a route declaring `CurrentActor` shows in its OpenAPI operation.
BEARER_SECURITY: dict[str, Any] = {"security": [{"HTTPBearer": []}]}


async def _actor_of_token(request: Request, token: str) -> Actor:
    cache: TokenCache = request.app.state.token_cache
    digest = token_digest(token)
    actor = cache.get(digest)
    if actor is None:
        actor = await run_in_threadpool(_actor_from_database, service_of(request), digest)
        cache.put(digest, actor)
    return actor


def _actor_from_database(service: Service, digest: str) -> Actor:
    with service.bus.reading() as uow:
        user = uow.users.by_digest(digest)
    if user is None:
        raise Unauthenticated()
    return Actor(name=user.name, role=user.role, user_id=user.id)


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentService = Annotated[Service, Depends(current_service)]


def allowed(command_type: type[Command]) -> Any:
    """A route dependency deciding authorisation before the body or the query is examined."""

    async def check(actor: CurrentActor) -> None:
        ensure_may_run(actor, command_type)

    async def before_body(request: Request) -> None:
        # The framework reads the body before any dependency: a body it cannot even parse
        # is answered after this same decision (`errors.refusal_before_body`).
        ensure_may_run(await current_actor(request, await bearer(request)), command_type)

    setattr(check, BEFORE_BODY, before_body)
    return Depends(check)
