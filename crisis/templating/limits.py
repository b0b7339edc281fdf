"""Channel kinds, template variants, and the default length limits each variant must fit."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from channels.contract import ChannelLimits, LengthUnit
from crisis.defaults import SMS_MAX_SEGMENTS

DEFAULT_SMS_MAX_SEGMENTS: Final = SMS_MAX_SEGMENTS
EMAIL_SUBJECT_MAX_CHARACTERS: Final = 150
CAP_HEADLINE_MAX_CHARACTERS: Final = 160
DEFAULT_VOICE_MAX_SECONDS: Final = 45  # CAP 1.2: "SHOULD be less than 160 characters"


class ChannelKind(StrEnum):
    SMS = "sms"
    X = "x"
    TELEGRAM = "telegram"
    EMAIL = "email"
    FEED = "feed"
    CAP = "cap"
    VOICE = "voice"


class Variant(StrEnum):
    """One rendered text of a message; each variant has its own file ``<variant>.j2``."""

    SMS = "sms"
    X = "x"
    TELEGRAM = "telegram"
    EMAIL_SUBJECT = "email_subject"
    EMAIL_TEXT = "email_text"
    EMAIL_HTML = "email_html"
    FEED = "feed"
    CAP_HEADLINE = "cap_headline"
    CAP_DESCRIPTION = "cap_description"
    CAP_INSTRUCTION = "cap_instruction"
    VOICE = "voice"  # read aloud on the phone (channels.voice), measured in spoken seconds

    @property
    def channel(self) -> ChannelKind:
        return _VARIANT_CHANNEL[self]

    @property
    def is_html(self) -> bool:
        """HTML variants are rendered with autoescaping on; no other variant is."""
        return self is Variant.EMAIL_HTML

    @property
    def single_line(self) -> bool:
        return self in (Variant.EMAIL_SUBJECT, Variant.CAP_HEADLINE)

    @property
    def filename(self) -> str:
        return f"{self.value}.j2"


_VARIANT_CHANNEL: Final[Mapping[Variant, ChannelKind]] = MappingProxyType(
    {
        Variant.SMS: ChannelKind.SMS,
        Variant.X: ChannelKind.X,
        Variant.TELEGRAM: ChannelKind.TELEGRAM,
        Variant.EMAIL_SUBJECT: ChannelKind.EMAIL,
        Variant.EMAIL_TEXT: ChannelKind.EMAIL,
        Variant.EMAIL_HTML: ChannelKind.EMAIL,
        Variant.FEED: ChannelKind.FEED,
        Variant.CAP_HEADLINE: ChannelKind.CAP,
        Variant.CAP_DESCRIPTION: ChannelKind.CAP,
        Variant.CAP_INSTRUCTION: ChannelKind.CAP,
        Variant.VOICE: ChannelKind.VOICE,
    }
)


def default_channel_limits(
    *, sms_max_segments: int = DEFAULT_SMS_MAX_SEGMENTS
) -> dict[ChannelKind, ChannelLimits]:
    """Default limits of the message body per channel kind.

    Rates are indicative defaults; the channel adapters declare the authoritative ones.
    """
    if sms_max_segments < 1:
        raise ValueError("sms_max_segments must be at least 1")
    return {
        ChannelKind.SMS: ChannelLimits(
            max_length=None,
            length_unit=LengthUnit.SMS_SEGMENTS,
            rate_per_second=10.0,
            max_segments=sms_max_segments,
        ),
        ChannelKind.X: ChannelLimits(
            max_length=280, length_unit=LengthUnit.X_WEIGHTED, rate_per_second=1.0
        ),
        ChannelKind.TELEGRAM: ChannelLimits(
            max_length=4096,
            length_unit=LengthUnit.UTF16,
            rate_per_second=30.0,
            per_chat_rate_per_second=1.0,
        ),
        ChannelKind.EMAIL: ChannelLimits(
            max_length=None,
            length_unit=LengthUnit.UNLIMITED,
            rate_per_second=10.0,
            supports_html=True,
            supports_attachments=True,
        ),
        ChannelKind.FEED: ChannelLimits(
            max_length=None, length_unit=LengthUnit.UNLIMITED, rate_per_second=10.0
        ),
        ChannelKind.CAP: ChannelLimits(
            max_length=None, length_unit=LengthUnit.UNLIMITED, rate_per_second=10.0
        ),
        # The voice channel's default `max_spoken_seconds`; a trunk's own setting is checked
        # again when the message is sent (`check_texts`).
        ChannelKind.VOICE: ChannelLimits(
            max_length=DEFAULT_VOICE_MAX_SECONDS,
            length_unit=LengthUnit.SPOKEN_SECONDS,
            rate_per_second=1.0,
        ),
    }


def default_variant_limits(
    *,
    sms_max_segments: int = DEFAULT_SMS_MAX_SEGMENTS,
    channel_limits: Mapping[ChannelKind, ChannelLimits] | None = None,
) -> dict[Variant, ChannelLimits]:
    """The limits every variant is checked against.

    Body variants take their channel's limits (``channel_limits`` overrides the defaults,
    e.g. with the limits declared by the real channel adapters); the e-mail subject and the
    CAP headline have their own character limits.
    """
    channels = default_channel_limits(sms_max_segments=sms_max_segments)
    if channel_limits is not None:
        channels.update(channel_limits)
    limits = {variant: channels[variant.channel] for variant in Variant}
    limits[Variant.EMAIL_SUBJECT] = ChannelLimits(
        max_length=EMAIL_SUBJECT_MAX_CHARACTERS,
        length_unit=LengthUnit.CHARACTERS,
        rate_per_second=channels[ChannelKind.EMAIL].rate_per_second,
    )
    limits[Variant.CAP_HEADLINE] = ChannelLimits(
        max_length=CAP_HEADLINE_MAX_CHARACTERS,
        length_unit=LengthUnit.CHARACTERS,
        rate_per_second=channels[ChannelKind.CAP].rate_per_second,
    )
    return limits
