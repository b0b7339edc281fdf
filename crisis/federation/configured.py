"""The OpenID Connect client the settings describe, or None when ProConnect is not set up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crisis.delivery.config import read_secrets_file
from crisis.settings import Settings

if TYPE_CHECKING:
    from crisis.federation.oidc import OidcClient

SECRET_NAME = "CRISIS_OIDC_CLIENT_SECRET"  # noqa: S105 (the name of a secret, not one)


def client_secret(settings: Settings) -> str | None:
    """From the environment first, else from the secrets file (key CRISIS_OIDC_CLIENT_SECRET)."""
    if settings.oidc_client_secret is not None:
        return settings.oidc_client_secret.get_secret_value()
    return read_secrets_file(settings.secrets_file).get(SECRET_NAME)


def oidc_client(settings: Settings) -> OidcClient | None:
    if not settings.oidc_issuer or not settings.oidc_client_id:
        return None
    from crisis.federation.oidc import OidcClient  # its HTTP and JOSE stack, only when set up

    return OidcClient(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=client_secret(settings),
        scopes=settings.oidc_scopes,
        acr_values=settings.oidc_acr_values,
        timeout=settings.oidc_timeout_seconds,
    )
