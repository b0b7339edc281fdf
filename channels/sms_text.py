"""What every SMS channel checks before sending: the number (E.164, by libphonenumber) and
the text (smart-encoded, not empty, within the configured number of segments)."""

from __future__ import annotations

import phonenumbers

from channels.contract import SendError
from channels.measure import measure_sms
from channels.smart_encoding import smart_encode


def e164(recipient: str) -> str:
    """`+33612345678` for any valid international writing of the number; a final
    `SendError` otherwise."""
    try:
        number = phonenumbers.parse(recipient, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise SendError(
            "SMS : numéro invalide (format international attendu, ex. +33612345678).",
            retryable=False,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sms_body(text: str, *, max_segments: int) -> str:
    """The text as sent; a final `SendError` when it is empty or too long."""
    body = smart_encode(text).strip()
    if not body:
        raise SendError("SMS : le texte est vide.", retryable=False)
    measured = measure_sms(body)
    if measured.segments > max_segments:
        raise SendError(
            f"SMS trop long : {measured.segments} segments {measured.encoding}, au plus "
            f"{max_segments}.",
            retryable=False,
        )
    return body
