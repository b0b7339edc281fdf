"""From audiences and lists to outbox rows: who receives what, on which channel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from channels.contract import Channel, LengthUnit, RecipientKind
from channels.measure import measure
from channels.x_thread import split_thread
from crisis.delivery.config import AlertsConfig
from crisis.domain.contacts import Category, Contact
from crisis.domain.errors import InvalidInput
from crisis.domain.messages import BODY_VARIANT, ChannelName, MessageTexts
from crisis.domain.vocabulary import Audience

CATEGORY_AUDIENCE: dict[Category, str] = {
    Category.ELU: Audience.ELUS.value,
    Category.MEDIA: Audience.MEDIA.value,
    Category.CELLULE: "cellule",
    Category.PARTENAIRE: "partenaire",
}

_ADDRESS = {
    ChannelName.EMAIL: ("email", RecipientKind.EMAIL),
    ChannelName.SMS: ("mobile", RecipientKind.PHONE),
    ChannelName.TELEGRAM_DM: ("telegram_chat_id", RecipientKind.TELEGRAM_CHAT),
    ChannelName.VOICE: ("mobile", RecipientKind.PHONE),
}


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    audience: str
    channel: str
    recipient_kind: RecipientKind
    recipient: str
    recipient_name: str
    contact_id: str | None = None
    # Sent this long after the others (a call a few minutes after the texts of a page).
    delay: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class Plan:
    deliveries: list[PlannedDelivery]
    unreachable: list[str]  # contacts with no address on any usable channel


def person_deliveries(
    *,
    audience: str,
    name: str,
    addresses: Mapping[str, str | None],
    channels: Iterable[ChannelName],
    available: Mapping[str, Channel],
    contact_id: str | None = None,
) -> list[PlannedDelivery]:
    planned: list[PlannedDelivery] = []
    for channel in channels:
        if channel not in _ADDRESS or channel.value not in available:
            continue
        field, kind = _ADDRESS[channel]
        address = addresses.get(field)
        if address:
            planned.append(
                PlannedDelivery(audience, channel.value, kind, address, name, contact_id)
            )
    return planned


def alert_deliveries(
    config: AlertsConfig, *, exercise: bool, available: Mapping[str, Channel]
) -> list[PlannedDelivery]:
    """The service's own alerts: each alert recipient (those who take exercise alerts, for an
    exercise) on each alert channel that is available and for which they have an address."""
    rows: list[PlannedDelivery] = []
    for recipient in config.recipients:
        if exercise and not recipient.exercise:
            continue
        rows.extend(
            person_deliveries(
                audience=recipient.role,
                name=recipient.name,
                addresses={
                    "email": recipient.email,
                    "mobile": recipient.mobile,
                    "telegram_chat_id": recipient.telegram_chat_id,
                },
                channels=config.channels,
                available=available,
            )
        )
    return rows


def contact_deliveries(
    contact: Contact, *, channels: Iterable[ChannelName], available: Mapping[str, Channel]
) -> list[PlannedDelivery]:
    return person_deliveries(
        audience=CATEGORY_AUDIENCE[contact.category],
        name=contact.name,
        addresses={
            "email": contact.email,
            "mobile": contact.mobile,
            "telegram_chat_id": contact.telegram_chat_id,
        },
        channels=channels,
        available=available,
        contact_id=contact.id,
    )


def broadcast_deliveries(
    *, channels: Iterable[ChannelName], available: Mapping[str, Channel]
) -> list[PlannedDelivery]:
    return [
        PlannedDelivery(Audience.PUBLIC.value, c.value, RecipientKind.BROADCAST, "", "public")
        for c in channels
        if c.value in available and c not in _ADDRESS
    ]


def check_texts(texts: MessageTexts, channels: Mapping[str, Channel], *, subject: str) -> None:
    """Every text that a channel will carry fits that channel, or a 422 names it."""
    for name, channel in sorted(channels.items()):
        try:
            channel_name = ChannelName(name)
        except ValueError:
            continue
        body = texts.for_channel(channel_name, fallback_subject=subject).text
        variant = BODY_VARIANT[channel_name]
        shown = variant if variant in texts.variants else "default"
        limits = channel.limits
        if limits.supports_threads:
            parts = len(split_thread(body))
            allowed = int(getattr(channel, "max_thread_parts", 1))
            if parts > allowed:
                raise InvalidInput(
                    f"texts.{shown}",
                    f"Le texte pour {name} demanderait un fil de {parts} messages "
                    f"({allowed} au plus).",
                )
            continue
        measured = measure(body, limits)
        if not measured.fits and measured.limit is not None:
            unit = (
                "segments SMS"
                if measured.segments is not None
                else "secondes parlées"
                if limits.length_unit is LengthUnit.SPOKEN_SECONDS
                else "caractères"
            )
            raise InvalidInput(
                f"texts.{shown}",
                f"Le texte pour {name} dépasse la limite : {measured.length} {unit} pour "
                f"{measured.limit} autorisés (excès : {measured.length - measured.limit}).",
            )
