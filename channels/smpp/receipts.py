"""Delivery receipts in deliver_sm PDUs: their TLVs, or the text form of SMPP 3.4 Appendix B.

A receipt names the message by the id the SMSC gave in its submit_sm_resp: the
`receipted_message_id` TLV, or `id:` in the text (« id:… sub:001 dlvrd:001 submit date:…
done date:… stat:DELIVRD err:000 text:… »). Its state is the `message_state` TLV, or `stat:`.
The instant kept is the receipt's arrival: the text's dates are the SMSC's local time,
without a zone, to the minute.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from channels.contract import HandsetReceipt

ESM_CLASS_TYPE_MASK: Final = 0x3C
ESM_CLASS_SMSC_RECEIPT: Final = 0x04

# message_state TLV values (SMPP 3.4 §5.2.28) and their words in the text form.
_STATE_WORDS: Final[dict[int, str]] = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
FINAL_STATES: Final[dict[str, tuple[bool, str]]] = {
    "DELIVRD": (True, "remis au téléphone"),
    "EXPIRED": (False, "non remis : délai de validité expiré (téléphone éteint ou hors réseau)"),
    "DELETED": (False, "non remis : message supprimé par l'opérateur"),
    "UNDELIV": (False, "non remis : numéro injoignable"),
    "REJECTD": (False, "non remis : rejeté par l'opérateur"),
    "UNKNOWN": (False, "non remis : état inconnu de l'opérateur"),
}
_FIELD: Final = re.compile(r"(id|stat|err):(\S*)", re.IGNORECASE)


def is_receipt(deliver_sm: Any) -> bool:
    esm_class = int(getattr(deliver_sm, "esm_class", 0) or 0)
    return esm_class & ESM_CLASS_TYPE_MASK == ESM_CLASS_SMSC_RECEIPT


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value or "")


def convert_id(message_id: str, conversion: str) -> str:
    """The receipt's id as the submit_sm_resp wrote it (Kannel's `msg-id-type`): some SMSCs
    give one in decimal and the other in hexadecimal. An id that does not convert is kept."""
    try:
        if conversion == "decimal_to_hex":
            return format(int(message_id, 10), "x")
        if conversion == "hex_to_decimal":
            return str(int(message_id, 16))
    except ValueError:
        return message_id
    return message_id


def parse_receipt(
    deliver_sm: Any, *, channel: str, received_at: datetime, receipt_ids: str = "as_is"
) -> HandsetReceipt | None:
    """The receipt a deliver_sm carries; None when it is not a final receipt (an intermediate
    ENROUTE/ACCEPTD notice) or names no message."""
    fields = {
        m.group(1).lower(): m.group(2) for m in _FIELD.finditer(_text(deliver_sm.short_message))
    }
    if not fields and getattr(deliver_sm, "message_payload", None):
        payload = _text(deliver_sm.message_payload)
        fields = {m.group(1).lower(): m.group(2) for m in _FIELD.finditer(payload)}
    message_id = _text(getattr(deliver_sm, "receipted_message_id", None)) or fields.get("id", "")
    state_value = getattr(deliver_sm, "message_state", None)
    word = _STATE_WORDS.get(int(state_value), "") if state_value is not None else ""
    word = word or fields.get("stat", "").upper()
    if not message_id or word not in FINAL_STATES:
        return None
    delivered, reason = FINAL_STATES[word]
    return HandsetReceipt(
        channel=channel,
        provider_message_id=convert_id(message_id, receipt_ids),
        delivered=delivered,
        state=word,
        reason=reason,
        received_at=received_at,
        error_code=fields.get("err", ""),
    )
