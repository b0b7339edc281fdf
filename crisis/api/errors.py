"""Errors as JSON with a sentence in French, one shape for every status the service answers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crisis.domain.duplicates import LikelyDuplicate
from crisis.domain.errors import Conflict, InvalidFields, InvalidInput, NotFound
from crisis.services.bus import Forbidden
from crisis.validation import french_reason
from crisis.web.routing import database_unreachable_page, log_database_unreachable

log = logging.getLogger(__name__)


class FieldError(BaseModel):
    field: str
    reason: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorBody(BaseModel):
    error: ErrorDetail


class ExistingEvent(BaseModel):
    """An open event that the one being opened likely duplicates."""

    crisis_id: str
    title: str
    kind: str
    reported_at: datetime
    created_by: str
    cod_active: bool
    reason: str  # why it was taken for the same event, in French


class DuplicateDetail(ErrorDetail):
    existing: list[ExistingEvent]


class DuplicateBody(BaseModel):
    """409 `likely_duplicate`: nothing created; send again with `distinct: true` to create it."""

    error: DuplicateDetail


class Unauthenticated(Exception):  # noqa: N818
    pass


# The attribute of a route dependency that decides, from the request alone, whether its caller
# may use the route at all (`auth.allowed`).
BEFORE_BODY = "before_body"


async def refusal_before_body(request: Request) -> Exception | None:
    """Who may not use this route is told so (401, 403) even when the body it sent could not
    be read: the framework reads the body before the route's dependencies decide."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    for dependency in getattr(dependant, "dependencies", ()):
        decide = getattr(dependency.call, BEFORE_BODY, None)
        if decide is None:
            continue
        try:
            await decide(request)
        except (Unauthenticated, Forbidden) as refusal:
            return refusal
    return None


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, fields=list(fields)))
    return JSONResponse(status_code=status, content=body.model_dump(), headers=headers)


# Statuses raised by the framework itself (unknown route, wrong method, unreadable body).
_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_body", "Corps de requête illisible : un JSON en UTF-8 est attendu."),
    404: ("not_found", "Adresse inconnue."),
    405: ("method_not_allowed", "Méthode non permise pour cette adresse."),
    413: ("too_large", "Requête trop volumineuse."),
    415: ("unsupported_media_type", "Type de contenu non pris en charge."),
}


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "corps"


def _field_error(error: Mapping[str, Any]) -> FieldError:
    if error["type"] == "json_invalid":
        # FastAPI puts the character offset where the field would be: say where, in words.
        position = error["loc"][-1]
        where = f" (caractère {position + 1})" if isinstance(position, int) else ""
        return FieldError(field="corps", reason=f"JSON invalide{where}")
    return FieldError(field=_field(error["loc"]), reason=french_reason(error))


def allowed_methods(app: FastAPI, path: str) -> str:
    """Every method some route of the application answers at this address (HEAD with GET)."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if route.methods and route.path_regex.match(path):
            methods |= set(route.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            refusal = await refusal_before_body(request)
            if refusal is not None:
                return _refused(refusal)
        fields = [_field_error(e) for e in exc.errors()]
        summary = "; ".join(f"{f.field} : {f.reason}" for f in fields)
        return error_response(422, "invalid_input", f"Requête invalide — {summary}.", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body that is not even UTF-8
            refusal = await refusal_before_body(request)
            if refusal is not None:
                return _refused(refusal)
        code, message = _HTTP_ERRORS.get(exc.status_code, ("error", "Requête refusée."))
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # The framework names the methods of the first route of the address only.
            headers = (headers or {}) | {"Allow": allowed_methods(app, request.url.path)}
        return error_response(exc.status_code, code, message, headers=headers)

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        if isinstance(exc, InvalidFields):
            fields = [FieldError(field=f, reason=r) for f, r in exc.fields.items()]
            return error_response(422, "invalid_input", exc.message, fields)
        return error_response(
            422, "invalid_input", exc.message, [FieldError(field=exc.field, reason=exc.message)]
        )

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        if isinstance(exc, LikelyDuplicate):
            return duplicate_response(exc)
        return error_response(409, "conflict", exc.message)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, "not_found", exc.message)

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return _refused(exc)

    @app.exception_handler(OperationalError)
    async def _database(request: Request, _: OperationalError) -> Response:
        log_database_unreachable(log, request)
        if _wants_a_page(request):  # an acknowledgement link, the public page
            return database_unreachable_page(request, console=False)
        return error_response(
            503,
            "database_unavailable",
            "Base de données injoignable : réessayez dans un instant. Une requête POST répétée "
            "avec le même en-tête Idempotency-Key n'est jamais enregistrée deux fois.",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        return _refused(exc)


def _refused(refusal: Exception) -> JSONResponse:
    """The answer to a caller without a valid token (401) or without the role (403)."""
    if isinstance(refusal, Forbidden):
        return error_response(403, "forbidden", refusal.message)
    return error_response(
        401,
        "unauthenticated",
        "Authentification requise : présentez un jeton valide (Authorization: Bearer …).",
        headers={"WWW-Authenticate": "Bearer"},
    )


def duplicate_response(exc: LikelyDuplicate) -> JSONResponse:
    """409 naming the open events the new one likely duplicates (the console's rule)."""
    existing = [
        ExistingEvent(
            crisis_id=m.crisis_id,
            title=m.title,
            kind=m.kind.value,
            reported_at=m.reported_at,
            created_by=m.created_by,
            cod_active=m.cod_active,
            reason=m.reason,
        )
        for m in exc.matches
    ]
    message = exc.message + " Pour l'enregistrer quand même, renvoyez-le avec « distinct »: true."
    detail = DuplicateDetail(code="likely_duplicate", message=message, existing=existing)
    return JSONResponse(
        status_code=409, content=DuplicateBody(error=detail).model_dump(mode="json")
    )


def _wants_a_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers a route can give."""
    descriptions = {
        401: "Jeton absent ou invalide.",
        403: "Rôle insuffisant pour cette action.",
        404: "Événement introuvable.",
        409: "Conflit avec l'état de l'événement.",
        422: "Entrée invalide : le champ et la raison sont donnés.",
        400: "Corps de requête illisible (JSON ou UTF-8 invalide).",
        413: "Requête trop volumineuse.",
    }
    return {s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses}
