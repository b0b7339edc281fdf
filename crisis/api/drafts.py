"""Routes of prepared messages: compose, edit, submit, approve or reject, send, read."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from crisis.api.auth import CurrentActor, CurrentService, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import responses
from crisis.api.schemas import Body
from crisis.api.text import (
    MAX_STORED_INT,
    FreeValues,
    OptionalPlainLine,
    PlainLine,
    PlainText,
    ShortName,
    TextsByName,
)
from crisis.domain.commands import Command
from crisis.domain.draft_commands import (
    ApproveDraft,
    ComposeMessage,
    EditDraft,
    RejectDraft,
    SendDraft,
    SubmitDraft,
)
from crisis.domain.drafts import DraftState
from crisis.domain.messages import TEXT_VARIANTS, ChannelName
from crisis.domain.vocabulary import Audience
from crisis.services.bus import Presenter
from crisis.services.context import Actor
from crisis.services.draft_views import DraftView, draft_view
from crisis.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1/crises/{crisis_id}/drafts", tags=["messages préparés"])
WRITE_ERRORS = responses(401, 403, 404, 409, 422)


class DraftCreate(Body):
    template: PlainLine = Field(min_length=1, max_length=63, examples=["point_situation"])
    version: int | None = Field(
        default=None, ge=1, le=MAX_STORED_INT, description="Par défaut la dernière."
    )
    variables: FreeValues = Field(
        default_factory=dict, description="Valeurs des variables déclarées par le modèle."
    )
    audiences: list[Audience] = Field(default_factory=list, max_length=3)
    lists: list[ShortName] = Field(
        default_factory=list, max_length=50, description="Listes nommées."
    )
    channels: list[ChannelName] | None = Field(
        default=None, description="Restreindre à ces canaux ; par défaut ceux de chaque public."
    )
    msg_type: Literal["alert", "update", "cancel"] = "alert"
    references_id: OptionalPlainLine | None = Field(
        default=None,
        max_length=200,
        description="Le message envoyé que celui-ci met à jour ou annule.",
    )


class DraftUpdate(Body):
    variables: FreeValues | None = Field(
        default=None, description="Message issu d'un modèle : nouvelles valeurs."
    )
    texts: TextsByName | None = Field(
        default=None,
        description="Message en texte libre : textes par variante ("
        + ", ".join(TEXT_VARIANTS)
        + ").",
    )
    version: int | None = Field(default=None, ge=1, le=MAX_STORED_INT)
    audiences: list[Audience] = Field(default_factory=list, max_length=3)
    lists: list[ShortName] = Field(default_factory=list, max_length=50)
    channels: list[ChannelName] | None = None


class DraftReject(Body):
    reason: PlainText = Field(min_length=1, max_length=2000, examples=["Chiffres à confirmer."])


class DraftList(BaseModel):
    drafts: list[DraftView]


class DraftSentView(BaseModel):
    draft: DraftView
    message_id: str
    deliveries: int = Field(description="Nombre de diffusions mises en file à la réponse.")
    complete: bool = Field(
        description="Faux pour un grand public : la suite est mise en file en arrière-plan."
    )


def _channels(channels: list[ChannelName] | None) -> tuple[str, ...] | None:
    return tuple(c.value for c in channels) if channels is not None else None


def _present_draft(status: int) -> Presenter:
    def present(uow: UnitOfWork, draft_id: Any) -> tuple[int, Any]:
        return status, draft_view(uow.drafts.get(draft_id)).model_dump(mode="json")

    return present


def _run(
    service: Any,
    actor: Actor,
    request: Request,
    body: BaseModel | None,
    command: Command,
    key: str | None,
    present: Presenter,
) -> Any:
    payload = body.model_dump_json().encode() if body is not None else b""
    return run_command(service, actor, request, payload, command, key, present)


@router.post(
    "",
    dependencies=[allowed(ComposeMessage)],
    status_code=201,
    response_model=DraftView,
    responses=WRITE_ERRORS,
    summary="Rédiger un message à partir d'un modèle (brouillon rendu pour chaque canal)",
)
def compose(
    crisis_id: str,
    body: DraftCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    command = ComposeMessage(
        crisis_id=crisis_id,
        template=body.template,
        version=body.version,
        variables=dict(body.variables),
        audiences=tuple(body.audiences),
        lists=tuple(body.lists),
        channels=_channels(body.channels),
        msg_type=body.msg_type,
        references_id=body.references_id,
    )
    return _run(service, actor, request, body, command, idempotency_key, _present_draft(201))


@router.get(
    "",
    response_model=DraftList,
    responses=responses(401, 404),
    summary="Les messages préparés d'un événement",
)
def list_drafts(
    crisis_id: str,
    service: CurrentService,
    _: CurrentActor,
    state: DraftState | None = None,
) -> DraftList:
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        drafts = uow.drafts.of_crisis(crisis_id, state=state)
    return DraftList(drafts=[draft_view(d) for d in drafts])


@router.get(
    "/{draft_id}",
    response_model=DraftView,
    responses=responses(401, 404),
    summary="Un message préparé : textes, rendu par canal, état de la validation",
)
def read_draft(
    crisis_id: str, draft_id: str, service: CurrentService, _: CurrentActor
) -> DraftView:
    with service.bus.reading() as uow:
        return draft_view(uow.drafts.get(draft_id, crisis_id=crisis_id))


@router.put(
    "/{draft_id}",
    dependencies=[allowed(EditDraft)],
    response_model=DraftView,
    responses=WRITE_ERRORS,
    summary="Modifier un brouillon (ou un message refusé, qui redevient brouillon)",
)
def edit(
    crisis_id: str,
    draft_id: str,
    body: DraftUpdate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    command = EditDraft(
        crisis_id=crisis_id,
        draft_id=draft_id,
        variables=dict(body.variables) if body.variables is not None else None,
        texts=tuple(sorted(body.texts.items())) if body.texts is not None else None,
        version=body.version,
        audiences=tuple(body.audiences),
        lists=tuple(body.lists),
        channels=_channels(body.channels),
    )
    return _run(service, actor, request, body, command, idempotency_key, _present_draft(200))


@router.post(
    "/{draft_id}/submit",
    dependencies=[allowed(SubmitDraft)],
    response_model=DraftView,
    responses=WRITE_ERRORS,
    summary="Soumettre un brouillon à la validation du préfet",
)
def submit(
    crisis_id: str,
    draft_id: str,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    command = SubmitDraft(crisis_id=crisis_id, draft_id=draft_id)
    return _run(service, actor, request, None, command, idempotency_key, _present_draft(200))


@router.post(
    "/{draft_id}/approve",
    dependencies=[allowed(ApproveDraft)],
    response_model=DraftView,
    responses=WRITE_ERRORS,
    summary="Valider un message soumis (préfet ou délégué ; jamais son propre message)",
)
def approve(
    crisis_id: str,
    draft_id: str,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    command = ApproveDraft(crisis_id=crisis_id, draft_id=draft_id)
    return _run(service, actor, request, None, command, idempotency_key, _present_draft(200))


@router.post(
    "/{draft_id}/reject",
    dependencies=[allowed(RejectDraft)],
    response_model=DraftView,
    responses=WRITE_ERRORS,
    summary="Refuser un message soumis, en donnant la raison",
)
def reject(
    crisis_id: str,
    draft_id: str,
    body: DraftReject,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    command = RejectDraft(crisis_id=crisis_id, draft_id=draft_id, reason=body.reason)
    return _run(service, actor, request, body, command, idempotency_key, _present_draft(200))


@router.post(
    "/{draft_id}/send",
    dependencies=[allowed(SendDraft)],
    response_model=DraftSentView,
    responses=WRITE_ERRORS,
    summary="Envoyer un message validé (ou un brouillon qui n'a pas besoin de validation)",
)
def send(
    crisis_id: str,
    draft_id: str,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    def present(uow: UnitOfWork, result: Any) -> tuple[int, Any]:
        view = DraftSentView(
            draft=draft_view(uow.drafts.get(result.draft_id)),
            message_id=result.sent.message_id,
            deliveries=result.sent.deliveries,
            complete=result.sent.complete,
        )
        return 200, view.model_dump(mode="json")

    command = SendDraft(crisis_id=crisis_id, draft_id=draft_id)
    return _run(service, actor, request, None, command, idempotency_key, present)
