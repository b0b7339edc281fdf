"""ProConnect's settings: the client secret from the secrets file, the client only when set,
and tokens signed otherwise than with the provider's keys refused before any key is fetched."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from crisis.federation.configured import client_secret, oidc_client
from crisis.federation.oidc import FederationRefused, OidcClient
from crisis.secret_strength import new_token, weak_secrets
from crisis.settings import Settings


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_the_client_secret_may_come_from_the_secrets_file(tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.yaml"
    secrets_file.write_text("CRISIS_OIDC_CLIENT_SECRET: du-fichier\n", encoding="utf-8")
    from_file = _settings(tmp_path, secrets_file=secrets_file)
    assert client_secret(from_file) == "du-fichier"
    both = _settings(tmp_path, secrets_file=secrets_file, oidc_client_secret=SecretStr("env"))
    assert client_secret(both) == "env"


def test_no_client_without_issuer_and_client_id(tmp_path: Path) -> None:
    assert oidc_client(_settings(tmp_path)) is None
    assert oidc_client(_settings(tmp_path, oidc_issuer="https://idp.example")) is None
    made = oidc_client(
        _settings(tmp_path, oidc_issuer="https://idp.example/", oidc_client_id="console")
    )
    assert made is not None and made.issuer == "https://idp.example"


def test_the_scopes_must_hold_openid(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="oidc_scopes"):
        _settings(tmp_path, oidc_scopes="email profile")


def _part(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_a_token_not_signed_with_a_public_key_is_refused(algorithm: str) -> None:
    client = OidcClient(
        issuer="http://127.0.0.1:9",
        client_id="console",
        client_secret=None,
        scopes="openid",
        acr_values=None,
        timeout=1,
    )
    token = f"{_part({'alg': algorithm})}.{_part({'sub': 'x'})}.c2lnbmF0dXJl"
    with pytest.raises(FederationRefused) as refused:
        client._verified(token, datetime(2026, 12, 6, tzinfo=UTC))
    assert refused.value.reason == "unexpected_algorithm"


def test_serve_refuses_proconnect_without_its_client_secret(tmp_path: Path) -> None:
    token = new_token()
    configured = _settings(
        tmp_path,
        metrics_token=SecretStr(token),
        oidc_issuer="https://idp.example",
        oidc_client_id="console",
    )
    assert [w.split(" : ")[0] for w in weak_secrets(configured)] == ["CRISIS_OIDC_CLIENT_SECRET"]
    secrets_file = tmp_path / "secrets.yaml"
    secrets_file.write_text("CRISIS_OIDC_CLIENT_SECRET: fourni-par-proconnect\n", "utf-8")
    assert weak_secrets(configured.model_copy(update={"secrets_file": secrets_file})) == []
