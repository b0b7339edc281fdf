"""What the dispatcher receives for each delivery it claims: the row, with the text of its
message for its channel and the details the channels need (a CAP alert, a feed item)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from channels.contract import RecipientKind
from channels.dispatcher import ClaimedDelivery
from crisis.domain.messages import ChannelName, MessageTexts
from crisis.store.id_lists import among, per_dialect
from crisis.store.tables import contacts, crises, deliveries, messages

_CLAIMED = per_dialect(
    lambda dialect: (
        select(
            deliveries.c.id,
            deliveries.c.message_id,
            deliveries.c.crisis_id,
            deliveries.c.audience,
            deliveries.c.channel,
            deliveries.c.recipient_kind,
            deliveries.c.recipient,
            deliveries.c.attempts,
            deliveries.c.queued_at,
            contacts.c.exercise.label("contact_exercise"),
        )
        .outerjoin(contacts, contacts.c.id == deliveries.c.contact_id)
        .where(among(deliveries.c.id, "ids", dialect))
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
    )
)
_MESSAGES = per_dialect(
    lambda dialect: (
        select(
            messages.c.id,
            messages.c.crisis_id,
            messages.c.texts,
            messages.c.purpose,
            messages.c.msg_type,
            messages.c.references_id,
            messages.c.exercise,
            crises.c.title.label("crisis_title"),
            crises.c.kind.label("crisis_kind"),
            crises.c.communes,
        )
        .join(crises, crises.c.id == messages.c.crisis_id)
        .where(among(messages.c.id, "ids", dialect))
    )
)


def read_claimed(conn: Connection, ids: Collection[str]) -> list[ClaimedDelivery]:
    """The deliveries just claimed, by id, with what their channels need, in claim order."""
    dialect = conn.dialect.name
    rows = conn.execute(_CLAIMED[dialect], {"ids": list(ids)}).all()
    # A batch holds a few messages: their texts and crisis are read once, not per row.
    message_ids = list({row.message_id for row in rows})
    about = conn.execute(_MESSAGES[dialect], {"ids": message_ids}).all()
    return claimed_deliveries(rows, {message.id: message for message in about})


def claimed_deliveries(
    rows: Iterable[Any], messages_by_id: Mapping[str, Any]
) -> list[ClaimedDelivery]:
    """Rows of the claim query (a delivery and its contact's exercise flag), and the rows of
    their messages by id (a message with its texts and its crisis)."""
    # The deliveries of one message on one channel carry the same text: made once.
    made: dict[tuple[str, str], _ChannelMessage] = {}
    claimed = []
    for row in rows:
        key = (row.message_id, row.channel)
        message = made.get(key)
        if message is None:
            message = made[key] = _ChannelMessage.of(messages_by_id[key[0]], channel=key[1])
        claimed.append(
            ClaimedDelivery(
                id=row.id,
                message_id=key[0],
                crisis_id=row.crisis_id,
                audience=row.audience,
                channel=key[1],
                recipient_kind=RecipientKind(row.recipient_kind),
                recipient=row.recipient,
                text=message.text,
                subject=message.subject,
                html=message.html,
                exercise=message.exercise,
                allowed_in_exercise=row.contact_exercise is not False,
                attempts=row.attempts,
                queued_at=row.queued_at,
                metadata=message.metadata,
            )
        )
    return claimed


@dataclass(frozen=True, slots=True)
class _ChannelMessage:
    """What every claimed delivery of one message on one channel carries."""

    text: str
    subject: str | None
    html: str | None
    exercise: bool
    metadata: dict[str, str]

    @classmethod
    def of(cls, row: Any, *, channel: str) -> _ChannelMessage:
        texts = MessageTexts(variants=dict(row.texts))
        channel_text = texts.for_channel(ChannelName(channel), fallback_subject=row.crisis_title)
        return cls(
            text=channel_text.text,
            subject=channel_text.subject,
            html=channel_text.html if channel != ChannelName.CAP else None,
            exercise=row.exercise,
            metadata={
                "message_id": row.id,
                "crisis_id": row.crisis_id,
                "crisis_title": row.crisis_title,
                "crisis_kind": row.crisis_kind,
                "communes": ", ".join(row.communes),
                "msg_type": row.msg_type,
                "references_id": row.references_id or "",
                "instruction": texts.variants.get("cap_instruction", ""),
                "purpose": row.purpose,
            },
        )
