"""Pure text measurement, one rule per way a channel counts length.

- X: the weighted length of the twitter-text rules (URLs 23, emoji 2, CJK 2), via
  ``twitter-text-parser``.
- SMS: GSM 03.38 (GSM-7) when every character is in the basic table or its extension
  table, UCS-2 otherwise; segments counted the way operators split concatenated SMS.
  The character tables come from the ``gsm0338`` codec. The text measured is the one sent:
  after « smart encoding » (``channels.smart_encoding``).
- Telegram: UTF-16 code units.
- Voice: the seconds the text lasts once spoken (`channels.speech`, the one exception to
  « no I/O » below: the synthesis runs, its result cached per text).

Nothing here does I/O or keeps state; every function is safe to call from anywhere.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import gsm0338

from channels.contract import ChannelLimits, LengthUnit
from channels.smart_encoding import smart_encode

X_MAX_WEIGHTED_LENGTH: Final = 280
TELEGRAM_MAX_UTF16: Final = 4096

GSM7_SINGLE_SEPTETS: Final = 160
GSM7_PART_SEPTETS: Final = 153  # 7 septets go to the concatenation header (UDH)
UCS2_SINGLE_UNITS: Final = 70
UCS2_PART_UNITS: Final = 67  # 3 UTF-16 units go to the concatenation header (UDH)

_ESCAPE: Final = "\x1b"
_GSM_CODEC: Final = gsm0338.Codec()


class SmsEncoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SmsMeasure:
    """How an SMS body will travel.

    ``units`` are septets for GSM-7 (an extension character such as € counts 2) and UTF-16
    code units for UCS-2 (a character outside the Basic Multilingual Plane counts 2).
    ``non_gsm`` lists, in order of first appearance, the characters that forced UCS-2.
    """

    encoding: SmsEncoding
    segments: int
    units: int
    units_per_segment: int
    non_gsm: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Measure:
    """The length of a text for one channel, in the channel's own unit.

    ``length`` and ``limit`` always share ``unit``: for SMS both are segment counts (the
    limit is ``ChannelLimits.max_segments``) and ``sms`` carries the encoding details.
    ``limit`` is None when the channel has no limit.
    """

    length: int
    limit: int | None
    fits: bool
    unit: LengthUnit
    segments: int | None = None
    encoding: SmsEncoding | None = None
    sms: SmsMeasure | None = None

    @property
    def excess(self) -> int:
        """By how much the text exceeds the limit, 0 when it fits."""
        if self.limit is None:
            return 0
        return max(0, self.length - self.limit)


def utf16_length(text: str) -> int:
    """Number of UTF-16 code units: how Telegram counts a message."""
    return len(text.encode("utf-16-le")) // 2


@functools.cache
def _tweet_parser() -> Callable[[str], Any]:
    """twitter-text's parser, imported on first use: compiling its expressions takes about
    0.3 s, which every command of the CLI paid before it was needed (`warm_up` in the
    long-running processes)."""
    with warnings.catch_warnings():
        # twitter-text-parser reads its emoji table through the deprecated pkg_resources API.
        warnings.filterwarnings(
            "ignore", message="pkg_resources is deprecated", category=UserWarning
        )
        from twitter_text import parse_tweet
    return parse_tweet  # type: ignore[no-any-return]


def warm_up() -> None:
    """Load what measuring takes ahead of the first message (a long-running process)."""
    _tweet_parser()


def x_weighted_length(text: str) -> int:
    """X's weighted length (twitter-text v3 configuration, limit 280)."""
    weighted: int = _tweet_parser()(text).weightedLength
    return weighted


def _gsm_septets(char: str) -> int | None:
    """Septets taken by one character in GSM-7, or None when it is not encodable."""
    if char == _ESCAPE:  # a bare escape is a protocol byte, never text
        return None
    try:
        encoded, _ = _GSM_CODEC.encode(char)
    except UnicodeEncodeError:
        return None
    return len(encoded)


def _pack(units: list[int], *, single: int, part: int) -> int:
    """Count segments: one when everything fits in a single message, otherwise fill parts
    greedily without ever splitting one character (an escape pair or a surrogate pair)."""
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for unit in units:
        if used + unit > part:
            segments += 1
            used = 0
        used += unit
    return segments


def measure_sms(text: str) -> SmsMeasure:
    """Encoding, segment count and unit count of an SMS body, as sent (smart-encoded)."""
    text = smart_encode(text)
    septets: list[int] = []
    non_gsm: list[str] = []
    for char in text:
        count = _gsm_septets(char)
        if count is None:
            if char not in non_gsm:
                non_gsm.append(char)
        else:
            septets.append(count)
    if not non_gsm:
        return SmsMeasure(
            encoding=SmsEncoding.GSM7,
            segments=_pack(septets, single=GSM7_SINGLE_SEPTETS, part=GSM7_PART_SEPTETS),
            units=sum(septets),
            units_per_segment=(
                GSM7_SINGLE_SEPTETS if sum(septets) <= GSM7_SINGLE_SEPTETS else GSM7_PART_SEPTETS
            ),
        )
    code_units = [2 if ord(char) > 0xFFFF else 1 for char in text]
    total = sum(code_units)
    return SmsMeasure(
        encoding=SmsEncoding.UCS2,
        segments=_pack(code_units, single=UCS2_SINGLE_UNITS, part=UCS2_PART_UNITS),
        units=total,
        units_per_segment=UCS2_SINGLE_UNITS if total <= UCS2_SINGLE_UNITS else UCS2_PART_UNITS,
        non_gsm=tuple(non_gsm),
    )


def fit_sms(text: str, *, keep: str = "", max_segments: int) -> str:
    """A text the service writes itself, shortened to fit in `max_segments` SMS parts.

    `keep` (the acknowledgement link, the number to call) is never cut: the end of `text` is
    cut instead, at a word boundary where possible, and marked with « ... ».
    """
    whole = smart_encode(text + keep)
    if measure_sms(whole).segments <= max_segments:
        return whole
    head, tail = smart_encode(text), smart_encode(keep)
    low, high = 0, len(head)
    # The longest prefix of the head that fits, found by halving (measuring is linear).
    while low < high:
        middle = (low + high + 1) // 2
        if measure_sms(_cut(head, middle) + tail).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    return _cut(head, low) + tail


def _cut(head: str, length: int) -> str:
    if length >= len(head):
        return head
    kept = head[:length]
    if " " in kept[-20:]:
        kept = kept[: kept.rindex(" ")]
    return kept.rstrip(" .,;:-") + "... "


def _bounded(length: int, limit: int | None, unit: LengthUnit) -> Measure:
    return Measure(length=length, limit=limit, fits=limit is None or length <= limit, unit=unit)


def measure(text: str, limits: ChannelLimits) -> Measure:
    """Measure ``text`` the way the channel described by ``limits`` counts it."""
    unit = limits.length_unit
    if unit is LengthUnit.SMS_SEGMENTS:
        sms = measure_sms(text)
        limit = limits.max_segments
        return Measure(
            length=sms.segments,
            limit=limit,
            fits=limit is None or sms.segments <= limit,
            unit=unit,
            segments=sms.segments,
            encoding=sms.encoding,
            sms=sms,
        )
    if unit is LengthUnit.X_WEIGHTED:
        return _bounded(x_weighted_length(text), limits.max_length, unit)
    if unit is LengthUnit.UTF16:
        return _bounded(utf16_length(text), limits.max_length, unit)
    if unit is LengthUnit.CHARACTERS:
        return _bounded(len(text), limits.max_length, unit)
    if unit is LengthUnit.SPOKEN_SECONDS:
        # The one measure that runs a program (espeak-ng, about 0.1 s, cached per text).
        from channels.speech import speakable, spoken_seconds

        return _bounded(math.ceil(spoken_seconds(speakable(text))), limits.max_length, unit)
    return _bounded(len(text), None, unit)
