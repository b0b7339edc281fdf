"""The feed and CAP channels: "sending" is publishing in the service's own tables.

They honour the same contract as the provider channels, so the outbox treats a publication
like any other delivery (and the public clock is met when the page carries the message).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import datetime

from sqlalchemy import Engine, insert, select

from channels._common import guard_exercise
from channels.cap import (
    CapAlert,
    CapArea,
    CapCategory,
    CapCertainty,
    CapInfo,
    CapMsgType,
    CapReference,
    CapSeverity,
    CapStatus,
    CapUrgency,
    cap_xml,
)
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from crisis.clock import Clock
from crisis.delivery.config import PublicConfig
from crisis.domain.vocabulary import CRISIS_KIND_LABELS, CrisisKind
from crisis.publishing.cap_schema import InvalidCapDocumentError, validate_cap
from crisis.store.tables import publications

CAP_CATEGORIES: dict[CrisisKind, CapCategory] = {
    CrisisKind.INONDATION: CapCategory.MET,
    CrisisKind.TEMPETE: CapCategory.MET,
    CrisisKind.CANICULE: CapCategory.MET,
    CrisisKind.ACCIDENT_INDUSTRIEL: CapCategory.SAFETY,
    CrisisKind.POLLUTION: CapCategory.ENV,
    CrisisKind.TRANSPORT: CapCategory.TRANSPORT,
    CrisisKind.SANITAIRE: CapCategory.HEALTH,
    CrisisKind.ATTENTAT: CapCategory.SECURITY,
    CrisisKind.AUTRE: CapCategory.OTHER,
}

_SERVICE_LIMITS = ChannelLimits(
    max_length=None, length_unit=LengthUnit.UNLIMITED, rate_per_second=200.0, supports_html=True
)


class _Publisher(ABC):
    name: str
    recipient_kind = RecipientKind.BROADCAST
    limits = _SERVICE_LIMITS

    def __init__(
        self, engine: Engine, *, clock: Clock, public: PublicConfig, production: bool
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._public = public
        self._production = production

    async def check(self) -> str:
        return "publié par le service lui-même : rien à vérifier"

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._production, channel=self.name)
        return await asyncio.to_thread(self._publish, message)

    @abstractmethod
    def _publish(self, message: OutgoingMessage) -> Receipt:
        """Store the publication; called in a worker thread."""

    def _store(
        self,
        message: OutgoingMessage,
        *,
        identifier: str,
        published_at: datetime,
        title: str,
        document: str | None,
    ) -> Receipt:
        meta = message.metadata
        with self._engine.begin() as connection:
            existing = connection.execute(
                select(publications.c.identifier, publications.c.published_at).where(
                    publications.c.delivery_id == message.delivery_id
                )
            ).first()
            if existing is not None:  # a retry after a crash: already published
                return Receipt(existing.identifier, existing.published_at)
            connection.execute(
                insert(publications).values(
                    delivery_id=message.delivery_id,
                    message_id=meta["message_id"],
                    crisis_id=meta["crisis_id"],
                    kind=self.name,
                    exercise=message.exercise,
                    published_at=published_at,
                    title=title,
                    text=message.text,
                    html=message.html,
                    identifier=identifier,
                    msg_type=meta.get("msg_type", "alert"),
                    document=document,
                )
            )
        return Receipt(identifier, published_at)


class FeedChannel(_Publisher):
    name = "feed"

    def _publish(self, message: OutgoingMessage) -> Receipt:
        now = self._clock.now()
        return self._store(
            message,
            identifier=message.metadata["message_id"],
            published_at=now,
            title=message.subject or message.metadata.get("crisis_title", ""),
            document=None,
        )


class CapChannel(_Publisher):
    name = "cap"

    def _references(self, message: OutgoingMessage) -> tuple[CapReference, ...]:
        previous = message.metadata.get("references_id")
        if not previous:
            return ()
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(publications.c.identifier, publications.c.published_at)
                .where(
                    publications.c.message_id == previous,
                    publications.c.kind == "cap",
                    publications.c.exercise == message.exercise,
                )
                .order_by(publications.c.published_at)
            ).all()
        return tuple(
            CapReference(self._public.cap_sender, r.identifier, r.published_at) for r in rows
        )

    def _publish(self, message: OutgoingMessage) -> Receipt:
        meta = message.metadata
        sent = self._clock.now().replace(microsecond=0)
        msg_type = CapMsgType(meta.get("msg_type", "alert").capitalize())
        references = self._references(message)
        if msg_type is not CapMsgType.ALERT and not references:
            msg_type = CapMsgType.ALERT  # the earlier message had no CAP alert to refer to
        kind = CrisisKind(meta["crisis_kind"])
        identifier = f"{meta['message_id']}"
        headline = (message.subject or meta.get("crisis_title", ""))[:160]
        alert = CapAlert(
            identifier=identifier,
            sender=self._public.cap_sender,
            sent=sent,
            status=CapStatus.EXERCISE if message.exercise else CapStatus.ACTUAL,
            msg_type=msg_type,
            references=references,
            info=CapInfo(
                categories=(CAP_CATEGORIES[kind],),
                event=CRISIS_KIND_LABELS[kind],
                urgency=CapUrgency.PAST if msg_type is CapMsgType.CANCEL else CapUrgency.IMMEDIATE,
                severity=CapSeverity.MINOR if msg_type is CapMsgType.CANCEL else CapSeverity.SEVERE,
                certainty=CapCertainty.OBSERVED,
                headline=headline,
                description=message.text,
                instruction=meta.get("instruction") or None,
                web=self._public.page_url(exercise=message.exercise),
                contact=self._public.cap_contact,
                sender_name=self._public.author,
                areas=(CapArea(description=meta.get("communes") or "Département"),),
            ),
        )
        document = cap_xml(alert).decode("utf-8")
        try:
            validate_cap(document)
        except InvalidCapDocumentError as error:
            # Not published; the failed delivery is journalled and alerts the duty officer.
            raise SendError(str(error), retryable=False) from None
        return self._store(
            message, identifier=identifier, published_at=sent, title=headline, document=document
        )
