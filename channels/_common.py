"""Small helpers shared by the channel adapters: error mapping, exercise guard, redaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime

import phonenumbers

from channels.contract import ChannelLimits, OutgoingMessage, SendError

EXERCISE_MARKER = "EXERCICE"

RATE_OVERRIDE_HELP = (
    "Débit maximal (envois par seconde) à la place du débit déclaré du fournisseur : "
    "pour un contrat à débit relevé, ou un banc d'essai contre un faux serveur."
)


def with_rate(limits: ChannelLimits, rate_per_second: float | None) -> ChannelLimits:
    """The declared limits, with the configured rate instead of the default one if given."""
    if rate_per_second is None:
        return limits
    return replace(limits, rate_per_second=rate_per_second)


def guard_exercise(message: OutgoingMessage, *, production: bool, channel: str) -> None:
    """Refuse, for good, an exercise message on a production audience or without its marker.

    Exercise safety is structural: no flag in a request can route a drill message to a real
    audience, and every drill message must carry the EXERCICE marker in its text.
    """
    if not message.exercise:
        return
    if production:
        raise SendError(
            f"Message d'exercice refusé : le canal « {channel} » dessert un public réel.",
            retryable=False,
        )
    if EXERCISE_MARKER not in message.text.upper():
        raise SendError(
            f"Message d'exercice refusé : la mention « {EXERCISE_MARKER} » manque au texte.",
            retryable=False,
        )


def e164(recipient: str, *, who: str, region: str | None = None) -> str:
    """A valid phone number in E.164 (`+33612345678`); a final SendError naming `who` (the
    channel, in French) otherwise. With `region`, a national number of that country passes."""
    try:
        number = phonenumbers.parse(recipient, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise SendError(
            f"{who} : numéro invalide (format international attendu, ex. +33612345678).",
            retryable=False,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Read an HTTP Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def error_for_status(
    status: int, *, provider: str, detail: str = "", retry_after: float | None = None
) -> SendError:
    """Map an HTTP status from a provider to a SendError (429 and 5xx retryable, 4xx final)."""
    suffix = f" : {detail}" if detail else ""
    if status == 429:
        return SendError(
            f"{provider} limite le débit (HTTP 429){suffix}",
            retryable=True,
            retry_after=retry_after,
        )
    if status >= 500:
        return SendError(
            f"{provider} est indisponible (HTTP {status}){suffix}",
            retryable=True,
            retry_after=retry_after,
        )
    if status in (401, 403):
        return SendError(
            f"{provider} refuse l'authentification ou l'autorisation (HTTP {status}){suffix}",
            retryable=False,
        )
    if status == 408:
        return SendError(f"{provider} : délai dépassé (HTTP 408){suffix}", retryable=True)
    return SendError(f"{provider} refuse le message (HTTP {status}){suffix}", retryable=False)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret in a text meant for an error message or a log."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
