"""Routes for sending factual messages and following their deliveries."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from crisis.api.auth import CurrentActor, CurrentService, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import responses
from crisis.api.schemas import Body
from crisis.api.text import OptionalPlainLine, ShortName, TextsByName
from crisis.domain.commands import RetryDelivery, SendMessage
from crisis.domain.errors import NotFound
from crisis.domain.messages import TEXT_VARIANTS, ChannelName
from crisis.domain.vocabulary import Audience
from crisis.services.draft_views import DraftView, draft_view
from crisis.services.message_handlers import PendingApproval
from crisis.services.message_views import (
    DeliveryView,
    MessageBoard,
    delivery_status_view,
    message_board,
)
from crisis.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["messages"])
WRITE_ERRORS = responses(401, 403, 404, 409, 422)


class MessageCreate(Body):
    audiences: list[Audience] = Field(default_factory=list, max_length=3)
    lists: list[ShortName] = Field(
        default_factory=list, max_length=50, description="Listes nommées."
    )
    texts: TextsByName = Field(
        description="Texte par variante : `default` (obligatoire), "
        + ", ".join(f"`{v}`" for v in TEXT_VARIANTS[1:])
        + ".",
        examples=[
            {"default": "Crue de la Seine : évitez les berges.", "sms": "Crue : evitez les berges."}
        ],
    )
    channels: list[ChannelName] | None = Field(
        default=None, description="Restreindre à ces canaux ; par défaut ceux de chaque public."
    )
    msg_type: Literal["alert", "update", "cancel"] = "alert"
    references_id: OptionalPlainLine | None = Field(
        default=None, max_length=200, description="Le message mis à jour ou annulé."
    )


class MessageSentView(BaseModel):
    message_id: str
    deliveries: int
    board: MessageBoard


class MessageList(BaseModel):
    messages: list[MessageBoard]


def _board(uow: UnitOfWork, message_id: str) -> MessageBoard:
    message = uow.outbox.message(message_id)
    if message is None:
        raise NotFound(f"Aucun message ne porte l'identifiant « {message_id} ».")
    return message_board(message, uow.outbox.deliveries_of(message_id=message_id))


@router.post(
    "/crises/{crisis_id}/messages",
    dependencies=[allowed(SendMessage)],
    status_code=201,
    response_model=MessageSentView,
    responses={
        **WRITE_ERRORS,
        202: {
            "model": DraftView,
            "description": "Un public choisi demande la validation du préfet : rien n'est "
            "parti, le message est gardé comme message préparé soumis à validation "
            "(`/crises/{id}/drafts/{draft_id}`).",
        },
    },
    summary="Envoyer un message factuel aux publics ou listes choisis (par l'outbox)",
)
def send_message(
    crisis_id: str,
    body: MessageCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    command = SendMessage(
        crisis_id=crisis_id,
        texts=tuple(sorted(body.texts.items())),
        audiences=tuple(body.audiences),
        lists=tuple(body.lists),
        channels=tuple(c.value for c in body.channels) if body.channels is not None else None,
        msg_type=body.msg_type,
        references_id=body.references_id,
    )

    def present(uow: UnitOfWork, sent: Any) -> tuple[int, Any]:
        if isinstance(sent, PendingApproval):
            return 202, draft_view(uow.drafts.get(sent.draft_id)).model_dump(mode="json")
        board = _board(uow, sent.message_id)
        view = MessageSentView(message_id=sent.message_id, deliveries=sent.deliveries, board=board)
        return 201, view.model_dump(mode="json")

    payload = body.model_dump_json().encode()
    return run_command(service, actor, request, payload, command, idempotency_key, present)


@router.get(
    "/crises/{crisis_id}/messages",
    response_model=MessageList,
    responses=responses(401, 404),
    summary="Les messages d'un événement et leurs diffusions",
)
def list_messages(crisis_id: str, service: CurrentService, _: CurrentActor) -> MessageList:
    with service.bus.unit_of_work() as uow:
        uow.crises.get(crisis_id)
        boards = [_board(uow, m.id) for m in uow.outbox.messages_of(crisis_id)]
    return MessageList(messages=boards)


@router.get(
    "/messages/{message_id}",
    response_model=MessageBoard,
    responses=responses(401, 404),
    summary="Tableau de diffusion d'un message : comptes par statut et par canal, détail",
)
def read_message(message_id: str, service: CurrentService, _: CurrentActor) -> MessageBoard:
    with service.bus.unit_of_work() as uow:
        return _board(uow, message_id)


@router.post(
    "/deliveries/{delivery_id}/retry",
    dependencies=[allowed(RetryDelivery)],
    response_model=DeliveryView,
    responses=WRITE_ERRORS,
    summary="Relancer une diffusion en échec",
)
def retry_delivery(
    delivery_id: str,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    def present(uow: UnitOfWork, _: Any) -> tuple[int, Any]:
        row = uow.outbox.delivery(delivery_id)
        assert row is not None
        return 200, delivery_status_view(row).model_dump(mode="json")

    return run_command(
        service,
        actor,
        request,
        b"",
        RetryDelivery(delivery_id=delivery_id),
        idempotency_key,
        present,
    )
