"""Read models of messages and their deliveries: the delivery board."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pydantic import BaseModel, Field

from crisis.domain.ack_links import mask_links
from crisis.domain.messages import Message
from crisis.services.views import Instant
from crisis.store.outbox_repository import DeliveryRow
from crisis.store.receipts_repository import HandsetFigures


class DeliveryView(BaseModel):
    delivery_id: str
    channel: str
    audience: str
    recipient_name: str
    recipient: str
    status: str = Field(description="pending, in_flight, accepted, failed ou refused.")
    attempts: int
    queued_at: Instant
    accepted_at: Instant | None
    last_error: str | None
    provider_message_id: str | None
    fallback_of: str | None
    handset_status: str | None = Field(
        default=None,
        description="delivered (remis au téléphone) ou undelivered (non remis), selon "
        "l'accusé de l'opérateur ; absent sans accusé.",
    )
    handset_at: Instant | None = None
    handset_reason: str | None = None
    person_outcome: str | None = Field(
        default=None,
        description="Un appel : ce qu'a fait la personne (acknowledged : réception confirmée "
        "par la touche 1 ; declined : touche 2 ; message_left : message laissé, non confirmé).",
    )


class HandsetFiguresView(BaseModel):
    """SMS whose operator sends receipts, for one audience and channel of a message."""

    audience: str
    channel: str
    sent: int = Field(description="Diffusions prévues sur ce canal pour ce public.")
    accepted: int = Field(description="Acceptées par l'opérateur.")
    delivered: int = Field(description="Remises au téléphone (accusé de remise).")
    undelivered: int = Field(description="Non remises (accusé d'échec : expiré, rejeté…).")
    median_seconds: float | None = Field(description="Médiane de la mise en file au téléphone.")
    worst_seconds: float | None = Field(description="Pire durée de la mise en file au téléphone.")


class MessageSummary(BaseModel):
    message_id: str
    crisis_id: str
    purpose: str
    msg_type: str
    references_id: str | None
    audiences: list[str]
    lists: list[str]
    exercise: bool
    created_by: str
    created_at: Instant
    texts: dict[str, str]
    totals: dict[str, int] = Field(description="Nombre de diffusions par statut.")
    by_channel: dict[str, dict[str, int]] = Field(description="Par canal, puis par statut.")
    complete: bool = Field(
        description="Faux tant que la mise en file d'un grand public se poursuit en "
        "arrière-plan : les comptes grandissent encore."
    )
    handsets: list[HandsetFiguresView] = Field(
        default_factory=list,
        description="Par public et canal dont l'opérateur renvoie des accusés de remise (SMS "
        "par SMPP) : acceptés, remis au téléphone, non remis, et durées jusqu'au téléphone.",
    )


class MessageBoard(MessageSummary):
    deliveries: list[DeliveryView] = Field(
        description="Une page de diffusions, par canal puis par identifiant."
    )
    next_after: str | None = Field(
        description="À passer en `after` pour la page suivante ; absent à la dernière page."
    )
    confirmations: dict[str, int] = Field(
        default_factory=dict,
        description="Réceptions confirmées par les personnes elles-mêmes, par canal (la "
        "touche 1 d'un appel), au-delà de l'acceptation par le fournisseur.",
    )


# (channel, status) → number of deliveries, as the outbox counts them.
DeliveryCounts = dict[tuple[str, str], int]


def delivery_status_view(row: DeliveryRow) -> DeliveryView:
    return DeliveryView(
        delivery_id=row.id,
        channel=row.channel,
        audience=row.audience,
        recipient_name=row.recipient_name,
        recipient=row.recipient,
        status=row.status,
        attempts=row.attempts,
        queued_at=row.queued_at,
        accepted_at=row.accepted_at,
        last_error=row.last_error,
        provider_message_id=row.provider_message_id,
        fallback_of=row.fallback_of,
        handset_status=row.handset_status,
        handset_at=row.handset_at,
        handset_reason=row.handset_reason,
        person_outcome=row.person_outcome,
    )


def counts_of(rows: list[DeliveryRow]) -> DeliveryCounts:
    counts: DeliveryCounts = {}
    for row in rows:
        counts[row.channel, row.status] = counts.get((row.channel, row.status), 0) + 1
    return counts


def message_summary(
    message: Message,
    counts: DeliveryCounts,
    *,
    complete: bool = True,
    handsets: Sequence[HandsetFigures] = (),
) -> MessageSummary:
    totals: dict[str, int] = {}
    by_channel: dict[str, dict[str, int]] = {}
    for (channel, status), number in counts.items():
        totals[status] = totals.get(status, 0) + number
        by_channel.setdefault(channel, {})[status] = number
    return MessageSummary(
        message_id=message.id,
        crisis_id=message.crisis_id,
        purpose=message.purpose.value,
        msg_type=message.msg_type.value,
        references_id=message.references_id,
        audiences=[a.value for a in message.audiences],
        lists=list(message.lists),
        exercise=message.exercise,
        created_by=message.created_by,
        created_at=message.created_at,
        # A page's personal link is its recipient's alone: shown masked to everyone else.
        texts={name: mask_links(text) for name, text in message.texts.variants.items()},
        totals=dict(sorted(totals.items())),
        by_channel={k: dict(sorted(v.items())) for k, v in sorted(by_channel.items())},
        complete=complete,
        handsets=[HandsetFiguresView(**dataclasses.asdict(h)) for h in handsets],
    )


def message_board(
    message: Message,
    counts: DeliveryCounts,
    page: list[DeliveryRow],
    *,
    next_after: str | None,
    complete: bool = True,
    handsets: Sequence[HandsetFigures] = (),
    confirmations: dict[str, int] | None = None,
) -> MessageBoard:
    return MessageBoard(
        **message_summary(message, counts, complete=complete, handsets=handsets).model_dump(),
        deliveries=[delivery_status_view(r) for r in page],
        next_after=next_after,
        confirmations=dict(sorted((confirmations or {}).items())),
    )
