"""A text as submit_sm parts: data_coding, and the concatenation header of each part.

GSM-7 texts travel unpacked (one septet per octet, data_coding 0, the SMSC's default
alphabet), UCS-2 texts as UTF-16 big-endian (data_coding 8). A text longer than one SMS is
cut into parts of 153 septets or 67 UTF-16 units, never inside an escape pair (€, [, …) or a
surrogate pair, each part led by the 6-octet UDH (IEI 0, 8-bit reference, total, number);
or, when the operator asks for it, sent whole in the `message_payload` TLV of one PDU.
The segment counts agree with `channels.measure.measure_sms`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final

import gsm0338

from channels.measure import (
    GSM7_PART_SEPTETS,
    GSM7_SINGLE_SEPTETS,
    UCS2_PART_UNITS,
    UCS2_SINGLE_UNITS,
    SmsEncoding,
    measure_sms,
)

DATA_CODING_GSM7: Final = 0x00
DATA_CODING_UCS2: Final = 0x08
ESM_CLASS_UDHI: Final = 0x40

_GSM: Final = gsm0338.Codec()


@dataclass(frozen=True, slots=True)
class EncodedText:
    """What the submit_sm PDUs of one text carry."""

    data_coding: int
    esm_class: int
    short_messages: tuple[bytes, ...]  # one per PDU; empty when the payload is used
    payload: bytes | None = None


def reference(delivery_id: str) -> int:
    """The concatenation reference of a delivery: the same on every attempt, so a handset
    that got some parts of a first attempt can complete the message with the retry's."""
    return zlib.crc32(delivery_id.encode("utf-8")) & 0xFF


def _units(text: str, encoding: SmsEncoding) -> list[bytes]:
    """Each character's octets, in the encoding it travels in."""
    if encoding is SmsEncoding.GSM7:
        return [_GSM.encode(char)[0] for char in text]
    return [char.encode("utf-16-be") for char in text]


def _split(units: list[bytes], *, per_part: int, unit_octets: int) -> list[bytes]:
    parts: list[bytes] = []
    current = b""
    for unit in units:
        if (len(current) + len(unit)) // unit_octets > per_part:
            parts.append(current)
            current = b""
        current += unit
    parts.append(current)
    return parts


def encode_text(text: str, *, delivery_id: str, payload: bool) -> EncodedText:
    """The PDUs' content for `text` (already smart-encoded and measured by the caller)."""
    encoding = measure_sms(text).encoding
    units = _units(text, encoding)
    if encoding is SmsEncoding.GSM7:
        data_coding, single, per_part, unit_octets = (
            DATA_CODING_GSM7,
            GSM7_SINGLE_SEPTETS,
            GSM7_PART_SEPTETS,
            1,
        )
    else:
        data_coding, single, per_part, unit_octets = (
            DATA_CODING_UCS2,
            UCS2_SINGLE_UNITS,
            UCS2_PART_UNITS,
            2,
        )
    whole = b"".join(units)
    if payload:
        return EncodedText(data_coding, 0, (), payload=whole)
    if len(whole) // unit_octets <= single:
        return EncodedText(data_coding, 0, (whole,))
    parts = _split(units, per_part=per_part, unit_octets=unit_octets)
    ref = reference(delivery_id)
    total = len(parts)
    return EncodedText(
        data_coding,
        ESM_CLASS_UDHI,
        tuple(
            bytes((0x05, 0x00, 0x03, ref, total, number)) + part
            for number, part in enumerate(parts, start=1)
        ),
    )
