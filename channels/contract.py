"""The contract every delivery channel implements, with its limits declared as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class LengthUnit(StrEnum):
    """How a channel counts the length of a body."""

    CHARACTERS = "characters"  # Unicode code points
    UTF16 = "utf16"  # UTF-16 code units (Telegram)
    X_WEIGHTED = "x_weighted"  # X's weighted length (URLs 23, emoji 2, CJK 2)
    SMS_SEGMENTS = "sms_segments"  # GSM-7 / UCS-2 segments
    SPOKEN_SECONDS = "spoken_seconds"  # the text once spoken by the voice channel's synthesis
    UNLIMITED = "unlimited"


class RecipientKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"  # E.164
    TELEGRAM_CHAT = "telegram_chat"
    BROADCAST = "broadcast"  # a public account, channel or feed: no individual recipient
    URL = "url"  # a webhook endpoint


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    max_length: int | None
    length_unit: LengthUnit
    rate_per_second: float
    per_chat_rate_per_second: float | None = None
    daily_quota: int | None = None
    max_segments: int | None = None
    supports_threads: bool = False
    supports_html: bool = False
    supports_attachments: bool = False
    # A send that lasts (a phone call): at most this many at once, each over within
    # `send_seconds`; the channel paces its own starts (`rate_per_second`), so the dispatcher
    # neither counts a whole call against the rate nor lets a claim expire during one.
    max_in_flight: int | None = None
    send_seconds: float | None = None
    # The provider reports what reached the handset (SMPP receipts, a REST provider's
    # delivery reports): the ids of accepted parts are kept to match them.
    handset_receipts: bool = False


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One delivery to attempt: one message, one recipient, one channel."""

    delivery_id: str
    recipient_kind: RecipientKind
    recipient: str  # an address, a phone number, a chat id, or "" for a broadcast
    text: str
    exercise: bool
    subject: str | None = None
    html: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Receipt:
    provider_message_id: str
    accepted_at: datetime
    # Every provider id when one delivery became several posts (an X thread); the first is
    # `provider_message_id`. Empty for a single post.
    provider_part_ids: tuple[str, ...] = ()
    # What the person did, for a channel that asks (a call: acknowledged, declined,
    # message_left); None for the others.
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class HandsetReceipt:
    """What an operator said of a message after accepting it: delivered to the handset, or
    not (expired, rejected, undeliverable), for the part it gave `provider_message_id` to."""

    channel: str
    provider_message_id: str
    delivered: bool
    state: str  # the operator's word: DELIVRD, EXPIRED, UNDELIV, REJECTD…
    reason: str  # in French: « remis au téléphone », « non remis : délai de validité expiré »…
    received_at: datetime
    error_code: str = ""


class SendError(Exception):
    """A delivery attempt that failed; `retryable` says whether trying again may help."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        about_recipient: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        # The provider works; this recipient did not take it (a busy line, no answer): it
        # says nothing of the channel's health.
        self.about_recipient = about_recipient


class Channel(Protocol):
    name: str
    limits: ChannelLimits
    recipient_kind: RecipientKind

    async def send(self, message: OutgoingMessage) -> Receipt:
        """Hand one message to the provider; raise SendError when it is not accepted."""
        ...

    async def check(self) -> str:
        """Check the configuration without publishing anything; return a short French report."""
        ...
