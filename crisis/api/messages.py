"""Routes for sending factual messages and following their deliveries."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from crisis.api.auth import CurrentActor, CurrentService, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import responses
from crisis.api.schemas import Body
from crisis.api.text import OptionalPlainLine, ShortName, TextsByName
from crisis.domain.commands import RetryDelivery, SendMessage
from crisis.domain.errors import InvalidInput, NotFound
from crisis.domain.messages import TEXT_VARIANTS, ChannelName, Message
from crisis.domain.vocabulary import Audience
from crisis.services.draft_views import DraftView, draft_view
from crisis.services.message_handlers import PendingApproval
from crisis.services.message_views import (
    DeliveryView,
    MessageBoard,
    MessageSummary,
    delivery_status_view,
    message_board,
    message_summary,
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
    deliveries: int = Field(description="Nombre de diffusions mises en file à la réponse.")
    by_channel: dict[str, int] = Field(description="Diffusions mises en file, par canal.")
    complete: bool = Field(
        description="Faux pour un grand public : les premières diffusions sont en file et "
        "partent déjà, la suite est mise en file en arrière-plan (l'événement "
        "`FanoutCompleted` du journal en donne le total)."
    )
    board: str = Field(
        description="Le tableau de diffusion du message (paginé), à suivre pour leur état.",
        examples=["/api/v1/messages/0b5e…"],
    )


class MessageList(BaseModel):
    messages: list[MessageSummary]


def _message(uow: UnitOfWork, message_id: str) -> Message:
    message = uow.outbox.message(message_id)
    if message is None:
        raise NotFound(f"Aucun message ne porte l'identifiant « {message_id} ».")
    return message


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
        by_channel: dict[str, int] = {}
        for (channel, _), number in uow.outbox.counts(message_id=sent.message_id).items():
            by_channel[channel] = by_channel.get(channel, 0) + number
        view = MessageSentView(
            message_id=sent.message_id,
            deliveries=sent.deliveries,
            by_channel=dict(sorted(by_channel.items())),
            complete=sent.complete,
            board=f"{router.prefix}/messages/{sent.message_id}",
        )
        return 201, view.model_dump(mode="json")

    payload = body.model_dump_json().encode()
    return run_command(service, actor, request, payload, command, idempotency_key, present)


@router.get(
    "/crises/{crisis_id}/messages",
    response_model=MessageList,
    responses=responses(401, 404),
    summary="Les messages d'un événement et leurs comptes de diffusions",
)
def list_messages(crisis_id: str, service: CurrentService, _: CurrentActor) -> MessageList:
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        messages = uow.outbox.messages_of(crisis_id)
        unfinished = uow.fanouts.unfinished_among([m.id for m in messages])
        summaries = [
            message_summary(
                m,
                uow.outbox.counts(message_id=m.id),
                complete=m.id not in unfinished,
                handsets=uow.receipts.handset_figures(message_id=m.id),
            )
            for m in messages
        ]
    return MessageList(messages=summaries)


@router.get(
    "/messages/{message_id}",
    response_model=MessageBoard,
    responses=responses(401, 404, 422),
    summary="Tableau de diffusion d'un message : comptes par statut et par canal, "
    "diffusions page par page",
)
def read_message(
    message_id: str,
    service: CurrentService,
    _: CurrentActor,
    after: Annotated[
        str | None,
        Query(max_length=64, description="`next_after` de la page précédente."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Diffusions par page.")] = 100,
) -> MessageBoard:
    with service.bus.reading() as uow:
        message = _message(uow, message_id)
        page = uow.outbox.deliveries_page(message_id=message_id, after=after, limit=limit + 1)
        if page is None:
            raise InvalidInput("after", "Cette diffusion n'appartient pas à ce message.")
        counts = uow.outbox.counts(message_id=message_id)
        confirmations = uow.outbox.confirmations(message_id=message_id)
        complete = not uow.fanouts.unfinished_among([message_id])
        handsets = uow.receipts.handset_figures(message_id=message_id)
    more = len(page) > limit
    page = page[:limit]
    return message_board(
        message,
        counts,
        page,
        next_after=page[-1].id if more else None,
        complete=complete,
        handsets=handsets,
        confirmations=confirmations,
    )


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
