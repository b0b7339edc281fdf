"""Alerts about the service itself (its deadline checks down), sent straight to the alert
recipients through channels of their own.

The usual alerts go through the outbox, in the transaction of what caused them. These cannot:
what fails may be the database itself, and with it the outbox. So each alert builds fresh
instances of the production alert channels, sends on an event loop of its own (never the
dispatcher's, whose connections belong to its loop), closes them, and only then tries to
journal what it did; a journal entry that cannot be written is logged, the alert has left.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from channels.contract import Channel, OutgoingMessage, SendError
from channels.measure import fit_sms
from channels.registry import LazyChannels, channel_factories, close_channels
from crisis.clock import Clock
from crisis.delivery.config import DeliveryConfig
from crisis.delivery.planning import PlannedDelivery, alert_deliveries
from crisis.domain.messages import ChannelName, MessageTexts
from crisis.scheduling.watch import SchedulerNotice

log = logging.getLogger(__name__)

# An SMS alert about the service takes at most this many parts when its channel says nothing.
SMS_SEGMENTS = 3


@dataclass(frozen=True, slots=True)
class AlertAttempt:
    channel: str
    recipient_name: str
    accepted: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SentAlert:
    notice: SchedulerNotice
    sent_at: datetime
    attempts: tuple[AlertAttempt, ...]


Record = Callable[[SentAlert], None]


class ServiceAlerts:
    """`SchedulerWatch`'s notifier: each notice leaves in a thread of its own at once."""

    def __init__(self, config: DeliveryConfig, *, clock: Clock, record: Record) -> None:
        self._config = config
        self._clock = clock
        self._record = record
        self._threads: list[threading.Thread] = []
        # Alerts sent but not journalled yet (the database was away): journalled, in order,
        # before the next one.
        self._unrecorded: list[SentAlert] = []
        self._record_lock = threading.Lock()

    def __call__(self, notice: SchedulerNotice) -> None:
        thread = threading.Thread(
            target=self.deliver, args=(notice,), name="alerte-service", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the alerts in flight (the service closes)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def deliver(self, notice: SchedulerNotice) -> SentAlert:
        log.log(logging.ERROR if notice.state == "down" else logging.WARNING, "%s", notice.text)
        sent_at = self._clock.now()
        try:
            attempts = asyncio.run(self._send(notice))
        except Exception:
            log.exception("alerte « %s » : envoi impossible", notice.subject)
            attempts = []
        if not any(a.accepted for a in attempts):
            log.error(
                "alerte « %s » : aucun destinataire d'alerte ne l'a reçue (%d tentative(s))",
                notice.subject,
                len(attempts),
            )
        sent = SentAlert(notice, sent_at, tuple(attempts))
        self._journal(sent)
        return sent

    def _journal(self, sent: SentAlert) -> None:
        with self._record_lock:
            self._unrecorded.append(sent)
            while self._unrecorded:
                first = self._unrecorded[0]
                try:
                    self._record(first)
                except Exception as error:
                    log.warning(
                        "alerte « %s » envoyée, pas encore journalisée (%s) : elle le sera "
                        "avec la suivante",
                        first.notice.subject,
                        type(error).__name__,
                    )
                    return
                self._unrecorded.pop(0)

    async def _send(self, notice: SchedulerNotice) -> list[AlertAttempt]:
        channels = LazyChannels(channel_factories(self._config.production, clock=self._clock))
        rows = alert_deliveries(self._config.alerts, exercise=False, available=channels)
        texts = MessageTexts.parse({"default": notice.text, "email_subject": notice.subject})
        try:
            return list(
                await asyncio.gather(
                    *(self._send_one(channels[row.channel], row, texts) for row in rows)
                )
            )
        finally:
            await close_channels(channels)

    async def _send_one(
        self, channel: Channel, row: PlannedDelivery, texts: MessageTexts
    ) -> AlertAttempt:
        text = texts.for_channel(ChannelName(row.channel), fallback_subject=texts.get("default"))
        body = text.text
        if row.channel == ChannelName.SMS:
            body = fit_sms(body, max_segments=channel.limits.max_segments or SMS_SEGMENTS)
        message = OutgoingMessage(
            delivery_id=str(uuid.uuid4()),
            recipient_kind=row.recipient_kind,
            recipient=row.recipient,
            text=body,
            exercise=False,
            subject=text.subject,
        )
        try:
            await channel.send(message)
        except SendError as error:
            return AlertAttempt(row.channel, row.recipient_name, False, error.reason)
        except Exception as error:
            log.exception("alerte sur le service : erreur inattendue du canal %s", row.channel)
            return AlertAttempt(row.channel, row.recipient_name, False, type(error).__name__)
        return AlertAttempt(row.channel, row.recipient_name, True)
