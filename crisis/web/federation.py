"""The console's OpenID Connect client (one per application) and the provider's logout."""

from __future__ import annotations

import logging

from fastapi import Request

from crisis.federation.configured import oidc_client
from crisis.federation.oidc import FederationUnreachable, OidcClient
from crisis.web.sessions import service_of

log = logging.getLogger(__name__)

LOGGED_OUT_ROUTE = "proconnect_logged_out"


def federation_client(request: Request) -> OidcClient | None:
    settings = service_of(request).settings
    if not settings.oidc_configured:
        return None
    # One per application, made at the first request that needs it (a second one made by a
    # request at the same instant only costs a discovery).
    client: OidcClient | None = getattr(request.app.state, "oidc_client", None)
    if client is None:
        client = request.app.state.oidc_client = oidc_client(settings)
    return client


def provider_logout_url(request: Request, id_token: str) -> str | None:
    """Where to send the browser to sign out of ProConnect too; None when it cannot be told
    (not configured, unreachable): the console's own sign-out has happened all the same."""
    client = federation_client(request)
    if client is None:
        return None
    try:
        return client.logout_url(
            id_token=id_token,
            post_logout_redirect_uri=str(request.url_for(LOGGED_OUT_ROUTE)),
            now=service_of(request).clock.now(),
        )
    except FederationUnreachable as error:
        log.warning("déconnexion de ProConnect impossible : %s", error)
        return None
