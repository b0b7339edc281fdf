"""An OpenID Connect relying party for ProConnect: discovery, the authorisation code flow with
PKCE, and the checks of what the provider returns.

Authlib builds the authorisation request (PKCE S256) and exchanges the code; joserfc (its
JOSE library) checks the signatures against the provider's published keys. Every instant is
the service's clock, passed in: no check reads the system time.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

# Signatures with the provider's public keys only: never `none`, never a shared secret.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
# Clocks of two servers differ a little.
LEEWAY_SECONDS = 30
DISCOVERY_SECONDS = 3600


class FederationUnreachable(Exception):  # noqa: N818
    """The provider did not answer, or answered an error of its own (5xx, bad document)."""


class FederationRefused(Exception):  # noqa: N818
    """What the provider returned fails a check: the sign-in is refused. `reason` is journalled."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in (ProConnect's « identité pivot »)."""

    issuer: str
    subject: str
    email: str | None
    given_name: str | None
    usual_name: str | None
    uid: str | None
    siret: str | None
    idp_id: str | None
    acr: str | None
    id_token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    url: str
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(slots=True)
class _Cache:
    metadata: dict[str, Any] | None = None
    metadata_at: datetime | None = None
    keys: KeySet | None = None


class OidcClient:
    """One per application: the provider's metadata and keys are cached here, not in the
    process, so two services in one process never share them."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        scopes: str,
        acr_values: str | None,
        timeout: float,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = scopes
        self.acr_values = acr_values
        self.timeout = timeout
        self._cache = _Cache()
        self._lock = threading.Lock()
        self.key_fetches = 0  # how often the keys were fetched (rotation shows as a new fetch)

    # -- what the provider publishes --------------------------------------------------------

    def _get_json(self, url: str) -> tuple[dict[str, Any], str]:
        try:
            answer = requests.get(url, timeout=self.timeout)
        except requests.RequestException as error:
            raise FederationUnreachable(f"{url} : {type(error).__name__}") from None
        if answer.status_code != 200:
            raise FederationUnreachable(f"{url} : HTTP {answer.status_code}")
        try:
            document = answer.json()
        except ValueError:
            raise FederationUnreachable(f"{url} : réponse non JSON") from None
        if not isinstance(document, dict):
            raise FederationUnreachable(f"{url} : réponse inattendue")
        return document, answer.headers.get("content-type", "")

    def metadata(self, now: datetime) -> dict[str, Any]:
        """The discovery document, fetched again after an hour."""
        with self._lock:
            cached, at = self._cache.metadata, self._cache.metadata_at
            if (
                cached is not None
                and at is not None
                and (now - at).total_seconds() < DISCOVERY_SECONDS
            ):
                return cached
        document, _ = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        if document.get("issuer", "").rstrip("/") != self.issuer:
            raise FederationUnreachable("l'émetteur annoncé n'est pas celui configuré")
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(needed), str):
                raise FederationUnreachable(f"{needed} absent du document de découverte")
        with self._lock:
            self._cache.metadata, self._cache.metadata_at = document, now
        return document

    def _keys(self, now: datetime, *, refresh: bool) -> KeySet:
        with self._lock:
            if self._cache.keys is not None and not refresh:
                return self._cache.keys
        document, _ = self._get_json(self.metadata(now)["jwks_uri"])
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError):
            raise FederationUnreachable("jeu de clés illisible") from None
        with self._lock:
            self._cache.keys = keys
            self.key_fetches += 1
        return keys

    def _verified(self, token: str, now: datetime) -> dict[str, Any]:
        """The claims of a token signed by one of the provider's keys. A key id not known yet
        (the provider rotated its keys) fetches the key set again, once."""
        try:
            header = extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError):
            raise FederationRefused("malformed_token") from None
        if header.get("alg") not in ALGORITHMS:
            raise FederationRefused("unexpected_algorithm")
        kid = header.get("kid")
        keys = self._keys(now, refresh=False)
        if kid is not None and not any(k.kid == kid for k in keys.keys):
            keys = self._keys(now, refresh=True)
        try:
            return dict(jwt.decode(token, keys, algorithms=ALGORITHMS).claims)
        except JoseError:
            raise FederationRefused("bad_signature") from None

    # -- the flow ---------------------------------------------------------------------------

    def _session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.client_id,
            client_secret=self._client_secret,
            scope=self.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name)
        )

    def authorization_request(
        self, *, redirect_uri: str, now: datetime, idp_hint: str | None = None
    ) -> AuthorizationRequest:
        endpoint = self.metadata(now)["authorization_endpoint"]
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)
        extra: dict[str, str] = {"nonce": nonce}
        if self.acr_values:
            extra["acr_values"] = self.acr_values
        if idp_hint:
            extra["idp_hint"] = idp_hint
        with self._session(redirect_uri) as session:
            url, _ = session.create_authorization_url(
                endpoint, state=state, code_verifier=verifier, **extra
            )
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def complete(
        self,
        *,
        code: str,
        code_verifier: str,
        nonce: str,
        redirect_uri: str,
        now: datetime,
    ) -> Identity:
        """Exchange the code, check the ID token and the userinfo; who signed in."""
        metadata = self.metadata(now)
        with self._session(redirect_uri) as session:
            try:
                token = session.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                    timeout=self.timeout,
                )
            except requests.RequestException as error:
                raise FederationUnreachable(f"jeton : {type(error).__name__}") from None
            except OAuth2Error as error:
                raise FederationRefused(f"token_error:{error.error}") from None
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise FederationRefused("no_id_token")
            claims = self._verified(id_token, now)
            self._check_id_token(claims, nonce=nonce, now=now)
            userinfo = self._userinfo(session, metadata, claims["sub"], now)
        merged = {**userinfo, "acr": claims.get("acr")}
        return Identity(
            issuer=self.issuer,
            subject=claims["sub"],
            email=_text(merged, "email"),
            given_name=_text(merged, "given_name"),
            usual_name=_text(merged, "usual_name"),
            uid=_text(merged, "uid"),
            siret=_text(merged, "siret"),
            idp_id=_text(merged, "idp_id"),
            acr=_text(merged, "acr"),
            id_token=id_token,
        )

    def _check_id_token(self, claims: Mapping[str, Any], *, nonce: str, now: datetime) -> None:
        instant = int(now.timestamp())
        self._check_issued_to_us(claims, "")
        expiry = claims.get("exp")
        if not isinstance(expiry, int) or expiry + LEEWAY_SECONDS <= instant:
            raise FederationRefused("expired_token")
        issued = claims.get("iat")
        if not isinstance(issued, int) or issued - LEEWAY_SECONDS > instant:
            raise FederationRefused("token_from_the_future")
        given_nonce = claims.get("nonce")
        if not isinstance(given_nonce, str) or not secrets.compare_digest(given_nonce, nonce):
            raise FederationRefused("wrong_nonce")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise FederationRefused("no_subject")

    def _check_issued_to_us(self, claims: Mapping[str, Any], what: str) -> None:
        """Issued by our provider, for this client (`azp` when there are several audiences)."""
        if str(claims.get("iss", "")).rstrip("/") != self.issuer:
            raise FederationRefused(f"{what}wrong_issuer")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.client_id not in audiences:
            raise FederationRefused(f"{what}wrong_audience")
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise FederationRefused(f"{what}wrong_audience")

    def _userinfo(
        self, session: OAuth2Session, metadata: Mapping[str, Any], subject: str, now: datetime
    ) -> dict[str, Any]:
        endpoint = metadata.get("userinfo_endpoint")
        if not isinstance(endpoint, str):
            return {}
        try:
            answer = session.get(endpoint, timeout=self.timeout)
        except requests.RequestException as error:
            raise FederationUnreachable(f"userinfo : {type(error).__name__}") from None
        if answer.status_code != 200:
            raise FederationRefused(f"userinfo_http_{answer.status_code}")
        if answer.headers.get("content-type", "").split(";")[0].strip() == "application/jwt":
            # ProConnect signs the userinfo: the same checks as a token, less the nonce.
            claims = self._verified(answer.text.strip(), now)
            self._check_issued_to_us(claims, "userinfo_")
        else:
            try:
                claims = json.loads(answer.text)
            except ValueError:
                raise FederationRefused("userinfo_unreadable") from None
            if not isinstance(claims, dict):
                raise FederationRefused("userinfo_unreadable")
        if claims.get("sub") != subject:
            raise FederationRefused("userinfo_other_subject")
        return claims

    def logout_url(
        self, *, id_token: str, post_logout_redirect_uri: str, now: datetime
    ) -> str | None:
        """The provider's logout address (RP-initiated logout), or None when it has none."""
        endpoint = self.metadata(now).get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "state": secrets.token_urlsafe(16),
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    return str(value)[:500]
