"""The secrets the service checks requests with: present and strong, or `crisis serve` does not
start.

A secret is taken as strong when it holds at least 32 bytes (256 bits) of entropy, estimated
from its length and its alphabet (4 bits a hexadecimal character, 6 bits a base64 one, 6.5 bits
another printable one), and has at least 16 different characters (a repeated or trivial value
is refused whatever its length). `crisis secrets generate` prints values that pass.
"""

from __future__ import annotations

import math
import secrets
import string

from crisis.federation.configured import client_secret
from crisis.settings import Settings

MIN_BITS = 256
MIN_DISTINCT = 16
_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "-_+/=")
_PRINTABLE_BITS = math.log2(95)


def estimated_bits(value: str) -> float:
    characters = set(value)
    per_character = 4.0 if characters <= _HEX else 6.0 if characters <= _BASE64 else _PRINTABLE_BITS
    return len(value) * per_character


def weakness(value: str | None) -> str | None:
    """Why this value is no secret, in French; None when it is one."""
    if value is None or not value.strip():
        return "absent ou vide"
    if len(set(value)) < MIN_DISTINCT or estimated_bits(value) < MIN_BITS:
        return (
            "trop faible : 32 octets aléatoires au moins (43 caractères base64url, "
            "ou 64 hexadécimaux)"
        )
    return None


def weak_secrets(settings: Settings) -> list[str]:
    """« NOM : raison » for each secret `crisis serve` relies on that is missing or weak."""
    relied_on: list[tuple[str, str | None]] = [
        (
            "CRISIS_METRICS_TOKEN",
            settings.metrics_token.get_secret_value() if settings.metrics_token else None,
        )
    ]
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret
        relied_on.append(
            ("CRISIS_TELEGRAM_WEBHOOK_SECRET", secret.get_secret_value() if secret else None)
        )
    found = []
    for name, value in relied_on:
        reason = weakness(value)
        if reason is not None:
            found.append(f"{name} : {reason}")
    # ProConnect's client secret is ProConnect's to choose: only its absence is refused.
    if settings.oidc_configured and not client_secret(settings):
        found.append(
            "CRISIS_OIDC_CLIENT_SECRET : absent (ni dans l'environnement ni dans le fichier de "
            "secrets) ; c'est ProConnect qui le fournit"
        )
    return found


def new_token() -> str:
    """A value for any of them: 32 random bytes, base64url (43 characters)."""
    return secrets.token_urlsafe(32)
