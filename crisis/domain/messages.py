"""Messages to send: texts per channel, audiences, and the exercise marker."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import Audience


class MessagePurpose(StrEnum):
    FACTUAL = "factual"  # information to élus, public, media: meets commitment 48
    CLOCK_ALERT = "clock_alert"  # a warning or breach, to the duty officer and the cabinet
    DELIVERY_ALERT = "delivery_alert"  # a delivery that finally failed
    CALLOUT = "callout"  # a page to an on-call member, with a way to acknowledge it
    APPROVAL_CALL = "approval_call"  # an approver called: a message waits for their decision
    DRILL_NOTICE = "drill_notice"  # the notice of a programmed exercise, to its participants
    DRILL_INJECT = "drill_inject"  # a live exercise's inject, to the players it names


class MessageType(StrEnum):
    """As CAP's msgType: a first message, an update of an earlier one, or its cancellation."""

    ALERT = "alert"
    UPDATE = "update"
    CANCEL = "cancel"


class ChannelName(StrEnum):
    TELEGRAM_DM = "telegram_dm"
    TELEGRAM_PUBLIC = "telegram_public"
    X = "x"
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    FEED = "feed"  # the public page and its Atom / JSON feeds, served by the service
    CAP = "cap"  # CAP 1.2 alerts, served by the service
    VOICE = "voice"  # a phone call, the text read aloud (channels.voice)


BROADCAST_CHANNELS = frozenset(
    {
        ChannelName.TELEGRAM_PUBLIC,
        ChannelName.X,
        ChannelName.WEBHOOK,
        ChannelName.FEED,
        ChannelName.CAP,
    }
)

TEXT_VARIANTS = (
    "default",
    "sms",
    "x",
    "telegram",
    "email_subject",
    "email_text",
    "email_html",
    "feed_title",
    "feed",
    "cap_headline",
    "cap_description",
    "cap_instruction",
    "voice",
)

# Which variant a channel reads for its body, falling back to "default".
BODY_VARIANT: dict[ChannelName, str] = {
    ChannelName.TELEGRAM_DM: "telegram",
    ChannelName.TELEGRAM_PUBLIC: "telegram",
    ChannelName.X: "x",
    ChannelName.EMAIL: "email_text",
    ChannelName.SMS: "sms",
    ChannelName.WEBHOOK: "default",
    ChannelName.FEED: "feed",
    ChannelName.CAP: "cap_description",
    ChannelName.VOICE: "voice",
}

MAX_TEXT_LENGTH = 20_000


@dataclass(frozen=True, slots=True)
class ChannelText:
    text: str
    subject: str | None = None
    html: str | None = None


@dataclass(frozen=True, slots=True)
class MessageTexts:
    variants: Mapping[str, str]

    @classmethod
    def parse(cls, variants: Mapping[str, str]) -> MessageTexts:
        unknown = sorted(set(variants) - set(TEXT_VARIANTS))
        if unknown:
            raise InvalidInput(
                f"texts.{unknown[0]}",
                f"Variante de texte inconnue « {unknown[0]} » ; variantes possibles : "
                + ", ".join(TEXT_VARIANTS)
                + ".",
            )
        cleaned = {k: v.strip() for k, v in variants.items() if v and v.strip()}
        if "default" not in cleaned:
            raise InvalidInput("texts.default", "Le texte principal (default) est obligatoire.")
        for name, text in cleaned.items():
            if len(text) > MAX_TEXT_LENGTH:
                raise InvalidInput(
                    f"texts.{name}", f"Le texte dépasse {MAX_TEXT_LENGTH} caractères."
                )
        return cls(variants=cleaned)

    def get(self, variant: str) -> str:
        return self.variants.get(variant) or self.variants["default"]

    def for_channel(self, channel: ChannelName, *, fallback_subject: str) -> ChannelText:
        body = self.get(BODY_VARIANT[channel])
        if channel is ChannelName.EMAIL:
            return ChannelText(
                text=body,
                subject=self.variants.get("email_subject") or fallback_subject,
                html=self.variants.get("email_html"),
            )
        if channel is ChannelName.FEED:
            return ChannelText(
                text=body, subject=self.variants.get("feed_title") or fallback_subject
            )
        if channel is ChannelName.CAP:
            return ChannelText(
                text=body,
                subject=self.variants.get("cap_headline") or fallback_subject,
                html=self.variants.get("cap_instruction"),
            )
        return ChannelText(text=body)

    def marked(self, marker: str) -> MessageTexts:
        """Every variant of an exercise message starts with the marker."""
        marked: dict[str, str] = {}
        for name, text in self.variants.items():
            if name == "email_html":
                marked[name] = _mark_html(text, marker)
            elif text.startswith(marker):
                marked[name] = text
            else:
                separator = (
                    " – " if name in ("email_subject", "feed_title", "cap_headline") else "\n"
                )
                marked[name] = f"{marker}{separator}{text}"
        return MessageTexts(variants=marked)


def _mark_html(document: str, marker: str) -> str:
    banner = f'<p class="exercice"><strong>{html.escape(marker)}</strong></p>'
    if banner in document:
        return document
    lower = document.lower()
    body_at = lower.find("<body")
    if body_at >= 0:
        close = document.find(">", body_at)
        if close >= 0:
            return document[: close + 1] + banner + document[close + 1 :]
    return banner + document


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    crisis_id: str
    purpose: MessagePurpose
    msg_type: MessageType
    audiences: tuple[Audience, ...]
    lists: tuple[str, ...]
    texts: MessageTexts
    exercise: bool
    created_by: str
    created_at: datetime
    references_id: str | None = None
