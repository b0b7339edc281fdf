"""Routes of message templates: list, read, preview, and new versions of custom templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from crisis.api.auth import CurrentActor, CurrentService, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import responses
from crisis.api.schemas import Body
from crisis.api.text import MAX_STORED_INT, FreeValues, ShortName, StrictFlag, TextsByName
from crisis.bootstrap import Service
from crisis.domain.draft_commands import SaveTemplate
from crisis.domain.errors import InvalidInput, NotFound
from crisis.services.draft_views import (
    TemplateDetail,
    TemplateSummary,
    template_detail,
    template_summary,
)
from crisis.services.template_library import TemplateLibrary
from crisis.store.unit_of_work import UnitOfWork
from crisis.templating.errors import TemplateError, UnknownTemplateError, VariableError
from crisis.templating.registry import LoadedTemplate, TemplateRegistry

router = APIRouter(prefix="/api/v1/templates", tags=["modèles de messages"])


class TemplatePreviewRequest(Body):
    variables: FreeValues | None = Field(
        default=None, description="Valeurs des variables ; ou `example: true`."
    )
    example: StrictFlag = Field(
        default=False, description="Utiliser les valeurs d'exemple du modèle."
    )
    version: int | None = Field(default=None, ge=1, le=MAX_STORED_INT)
    channels: list[ShortName] | None = Field(
        default=None, description="Variantes ou canaux à produire (sms, email…) ; tous sinon."
    )
    exercise: StrictFlag = Field(default=False, description="Ajouter la mention d'exercice.")


class PreviewVariant(BaseModel):
    channel: str
    text: str
    length: int
    limit: int | None
    fits: bool
    unit: str
    kind: str
    segments: int | None = None
    encoding: str | None = None
    units: int | None = None


class TemplatePreview(BaseModel):
    template: str
    version: int
    variants: list[PreviewVariant]


class TemplateVersionCreate(Body):
    manifest: FreeValues = Field(
        description="Le manifeste (title, description, audiences, variants, variables) ; "
        "le nom vient de l'adresse et la version est attribuée par le service."
    )
    sources: TextsByName = Field(description="Source Jinja2 de chaque variante déclarée.")


class TemplateVersionCreated(BaseModel):
    name: str
    version: int


class TemplateList(BaseModel):
    templates: list[TemplateSummary]


def _library(service: Service) -> TemplateLibrary:
    library = service.bus.templates
    if library is None:
        raise RuntimeError("no template library wired into the bus")
    return library


def _registry(service: Service) -> TemplateRegistry:
    with service.bus.reading() as uow:
        return _library(service).registry(uow)


def _get(registry: TemplateRegistry, name: str, version: int | None) -> LoadedTemplate:
    try:
        return registry.get(name, version=version)
    except UnknownTemplateError as error:
        raise NotFound(error.message) from None


@router.get("", response_model=TemplateList, responses=responses(401), summary="Les modèles")
def list_templates(service: CurrentService, _: CurrentActor) -> TemplateList:
    registry = _registry(service)
    return TemplateList(
        templates=[template_summary(t, registry.versions(t.name)) for t in registry.templates()]
    )


@router.get(
    "/{name}",
    response_model=TemplateDetail,
    responses=responses(401, 404),
    summary="Un modèle : manifeste, variables, source de chaque variante",
)
def read_template(
    name: str,
    service: CurrentService,
    _: CurrentActor,
    version: Annotated[int | None, Query(ge=1, le=MAX_STORED_INT)] = None,
) -> TemplateDetail:
    registry = _registry(service)
    return template_detail(_get(registry, name, version), registry.versions(name))


@router.post(
    "/{name}/preview",
    response_model=TemplatePreview,
    responses=responses(401, 404, 422),
    summary="Aperçu du rendu pour chaque canal, avec longueur et limite (n'écrit rien)",
)
def preview(
    name: str,
    body: TemplatePreviewRequest,
    service: CurrentService,
    _: CurrentActor,
    idempotency_key: IdempotencyKey = None,  # accepted for uniformity: a preview writes nothing
) -> Any:
    registry = _registry(service)
    template = _get(registry, name, body.version)
    if body.example == (body.variables is not None):
        raise InvalidInput("variables", "Donnez soit des variables, soit « example: true ».")
    variables = template.manifest.examples() if body.example else dict(body.variables or {})
    try:
        return registry.preview(
            name,
            variables=variables,
            exercise=body.exercise,
            marker=service.settings.exercise_marker,
            version=template.version,
            variants=body.channels,
        )
    except VariableError as error:
        names = [*error.missing, *error.unknown, *(n for n, _ in error.invalid)]
        field = f"variables.{names[0]}" if len(names) == 1 else "variables"
        raise InvalidInput(field, error.message) from None
    except TemplateError as error:
        raise InvalidInput("template", error.message) from None


@router.post(
    "/{name}/versions",
    dependencies=[allowed(SaveTemplate)],
    status_code=201,
    response_model=TemplateVersionCreated,
    responses=responses(401, 403, 409, 422),
    summary="Ajouter un modèle personnalisé ou en enregistrer une nouvelle version",
)
def add_version(
    name: str,
    body: TemplateVersionCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    def present(_: UnitOfWork, created: Any) -> tuple[int, Any]:
        return 201, TemplateVersionCreated(**created).model_dump()

    command = SaveTemplate(name=name, manifest=dict(body.manifest), sources=dict(body.sources))
    payload = body.model_dump_json().encode()
    return run_command(service, actor, request, payload, command, idempotency_key, present)
