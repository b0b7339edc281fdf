"""Signing in through ProConnect, against a certified OpenID Connect provider (npm
`oidc-provider`, tests/peers/oidc) configured like ProConnect: binding by e-mail then by
subject, every check of what the provider returns, the provider's logout, and the
break-glass password when the federation does not answer."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import AddUser
from crisis.services.accounts import PASSWORD_SIGNIN_OFF
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from crisis.store.journal import SYSTEM_STREAM, JournalEntry
from tests.integration.web.conftest import PASSWORD, hidden, new_client, sign_in
from tests.integration.web.proconnect_peer import CLIENT_ID, CONSOLE, OidcPeer, oidc_peer

__all__ = ["oidc_peer"]  # the peer's fixture, used by this module's tests

AGENT = {
    "sub": "sub-agent-7f3c",
    "email": "claire.martin@essonne.gouv.fr",
    "given_name": "Claire",
    "usual_name": "Martin",
    "uid": "cmartin",
    "siret": "17910001800017",
    "idp_id": "fia1v2",
}


@pytest.fixture
def start_instant() -> datetime:
    # The provider signs with the real time: the service's clock starts there too.
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def settings(tmp_path: Path, oidc_peer: OidcPeer) -> Settings:
    return Settings(
        data_dir=tmp_path,
        approval_audiences=[],
        signin_failure_delay_seconds=0,
        oidc_issuer=oidc_peer.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=oidc_peer.client_secret,
        account_contact="le SIDPC de la préfecture (01 60 00 00 00)",
    )


@pytest.fixture
def peer(oidc_peer: OidcPeer) -> Iterator[OidcPeer]:
    oidc_peer.set_identity(**AGENT)
    oidc_peer.tamper()
    yield oidc_peer
    oidc_peer.tamper()


@pytest.fixture
def sqlite_only(engine: Engine) -> None:
    """For the checks of what the provider returns, which read and write the store as the
    other tests here do: once is enough (the suite's time is counted)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the provider's answers are checked the same whatever the store")


@pytest.fixture
def browser(peer: OidcPeer) -> httpx.Client:
    """The browser's side at the provider: a new browser each time (no cookies there)."""
    peer.http.cookies.clear()
    return peer.http


@pytest.fixture
def agent(service: Service) -> str:
    service.bus.handle(
        AddUser(name="claire", role="comm_cell", email="Claire.Martin@essonne.gouv.fr"),
        actor=SYSTEM_ACTOR,
    )
    return "claire"


def start(client: TestClient) -> Response:
    form = client.get("/connexion")
    return client.post(
        "/connexion/proconnect",
        data={"csrf_token": hidden(form.text, "csrf_token"), "suite": "/"},
        follow_redirects=False,
    )


def callback_path(url: str) -> str:
    return url.removeprefix(CONSOLE)


def proconnect_sign_in(client: TestClient, peer: OidcPeer, browser: httpx.Client) -> Response:
    begun = start(client)
    assert begun.status_code == 303, begun.text[:2000]
    return client.get(callback_path(peer.authorize(browser, begun.headers["location"])))


def system_entries(service: Service) -> list[JournalEntry]:
    with service.bus.reading() as uow:
        return list(uow.journal.entries(SYSTEM_STREAM, after_seq=0, limit=1000))


def failures(service: Service) -> list[dict[str, Any]]:
    return [e.payload for e in system_entries(service) if e.kind == "auth.SignInFailed"]


def test_the_button_leads_to_the_discovered_authorization_endpoint(
    sqlite_only: None, client: TestClient, peer: OidcPeer
) -> None:
    page = client.get("/connexion")
    assert "fr-connect--pro" in page.text and "ProConnect" in page.text
    begun = start(client)
    assert begun.status_code == 303
    location = urlsplit(begun.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == peer.issuer
    assert location.path == "/auth"  # oidc-provider's authorization_endpoint, discovered
    query = parse_qs(location.query)
    assert query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"{CONSOLE}/connexion/proconnect/retour"]
    assert query["acr_values"] == ["eidas1"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert len(query["code_challenge"][0]) == 43
    cookie = begun.headers["set-cookie"]
    assert "crisis_proconnect=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_first_sign_in_binds_by_email_then_by_subject(
    client: TestClient, service: Service, peer: OidcPeer, browser: httpx.Client, agent: str
) -> None:
    answer = proconnect_sign_in(client, peer, browser)
    assert answer.status_code == 200, answer.text[:2000]
    assert 'http-equiv="refresh" content="0;url=/"' in answer.text
    assert "claire" in client.get("/").text
    with service.bus.reading() as uow:
        user = uow.users.by_name(agent)
        sessions = [uow.sessions.find(client.cookies["crisis_session"], now=uow.now)]
    assert user is not None and user.oidc_subject == AGENT["sub"]
    assert user.oidc_issuer == peer.issuer and user.last_signin_method == "proconnect"
    assert sessions[0] is not None and sessions[0].method == "proconnect"
    assert sessions[0].acr == "eidas1"
    kinds = [(e.kind, e.payload.get("method")) for e in system_entries(service)]
    assert ("auth.IdentityBound", "proconnect") in kinds
    signed_in = [e for e in system_entries(service) if e.kind == "auth.SignedIn"]
    assert signed_in[-1].actor == agent and signed_in[-1].payload["acr"] == "eidas1"

    # The agent's address changes at the ministry: the subject still finds the account.
    peer.set_identity(**{**AGENT, "email": "c.martin@interieur.gouv.fr"})
    browser.cookies.clear()
    again = proconnect_sign_in(client, peer, browser)
    assert again.status_code == 200
    assert [e.kind for e in system_entries(service)].count("auth.IdentityBound") == 1


def test_the_identity_provider_of_the_last_sign_in_is_hinted(
    sqlite_only: None, client: TestClient, peer: OidcPeer, browser: httpx.Client, agent: str
) -> None:
    assert "idp_hint" not in start(client).headers["location"]
    assert proconnect_sign_in(client, peer, browser).status_code == 200
    query = parse_qs(urlsplit(start(client).headers["location"]).query)
    assert query["idp_hint"] == [AGENT["idp_id"]]


def test_an_unknown_identity_is_told_whom_to_ask(
    client: TestClient, service: Service, peer: OidcPeer, browser: httpx.Client, agent: str
) -> None:
    peer.set_identity(**{**AGENT, "sub": "sub-inconnu", "email": "inconnu@example.gouv.fr"})
    answer = proconnect_sign_in(client, peer, browser)
    assert answer.status_code == 403
    text = html.unescape(answer.text)
    assert "Aucun compte pour cette identité" in text
    assert "inconnu@example.gouv.fr" in text and "le SIDPC de la préfecture" in text
    assert "crisis_session" not in client.cookies
    assert failures(service)[-1]["reason"] == "unknown_identity"
    assert failures(service)[-1]["method"] == "proconnect"


def test_an_agent_of_a_listed_siret_gets_an_auditor_account(
    client: TestClient,
    service: Service,
    settings: Settings,
    peer: OidcPeer,
    browser: httpx.Client,
) -> None:
    settings.oidc_auto_create_sirets = [AGENT["siret"]]
    answer = proconnect_sign_in(client, peer, browser)
    assert answer.status_code == 200, answer.text[:2000]
    with service.bus.reading() as uow:
        created = uow.users.by_email(AGENT["email"])
    assert created is not None and created.name == "Claire Martin"
    assert created.role == "auditor" and created.oidc_subject == AGENT["sub"]
    kinds = [e.kind for e in system_entries(service)]
    assert kinds[-3:] == ["command.AddUser", "auth.IdentityBound", "auth.SignedIn"]
    # Another SIRET is not listed: refused as before.
    peer.set_identity(**{**AGENT, "sub": "autre", "email": "x@example.gouv.fr", "siret": "1"})
    browser.cookies.clear()
    assert proconnect_sign_in(new_client(service), peer, browser).status_code == 403


def test_an_address_of_an_account_bound_to_someone_else_is_refused(
    client: TestClient, service: Service, peer: OidcPeer, browser: httpx.Client, agent: str
) -> None:
    assert proconnect_sign_in(client, peer, browser).status_code == 200
    peer.set_identity(**{**AGENT, "sub": "sub-usurpateur"})
    browser.cookies.clear()
    answer = proconnect_sign_in(new_client(service), peer, browser)
    assert answer.status_code == 403
    assert failures(service)[-1]["reason"] == "bound_to_another_identity"


def test_a_replayed_state_is_refused(
    client: TestClient, service: Service, peer: OidcPeer, browser: httpx.Client, agent: str
) -> None:
    begun = start(client)
    callback = callback_path(peer.authorize(browser, begun.headers["location"]))
    assert client.get(callback).status_code == 200
    client.cookies.set("crisis_proconnect", parse_qs(urlsplit(callback).query)["state"][0])
    replayed = client.get(callback)
    assert replayed.status_code == 403
    assert failures(service)[-1]["reason"] == "unknown_or_replayed_state"


def test_a_state_begun_in_another_browser_is_refused(
    client: TestClient, service: Service, peer: OidcPeer, browser: httpx.Client, agent: str
) -> None:
    begun = start(client)
    callback = callback_path(peer.authorize(browser, begun.headers["location"]))
    other = new_client(service)  # without the cookie the sign-in was begun with
    assert other.get(callback).status_code == 403
    assert failures(service)[-1]["reason"] == "state_of_another_browser"


@pytest.mark.parametrize("altered", ["id_token", "userinfo"])
def test_a_tampered_id_token_or_signed_userinfo_is_refused(
    sqlite_only: None,
    client: TestClient,
    service: Service,
    peer: OidcPeer,
    browser: httpx.Client,
    agent: str,
    altered: str,
) -> None:
    peer.tamper(**{altered: True})
    answer = proconnect_sign_in(client, peer, browser)
    assert answer.status_code == 403
    assert "crisis_session" not in client.cookies
    assert failures(service)[-1]["reason"] == "bad_signature"


def test_a_wrong_nonce_is_refused(
    sqlite_only: None,
    client: TestClient,
    service: Service,
    peer: OidcPeer,
    browser: httpx.Client,
    agent: str,
) -> None:
    begun = start(client)
    parts = urlsplit(begun.headers["location"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["nonce"] = "nonce-glisse-par-un-attaquant-0123456789"
    altered = urlunsplit(parts._replace(query=urlencode(query)))
    answer = client.get(callback_path(peer.authorize(browser, altered)))
    assert answer.status_code == 403
    assert failures(service)[-1]["reason"] == "wrong_nonce"


def test_an_expired_id_token_is_refused(
    sqlite_only: None,
    client: TestClient,
    service: Service,
    clock: ManualClock,
    peer: OidcPeer,
    browser: httpx.Client,
    agent: str,
) -> None:
    begun = start(client)
    callback = callback_path(peer.authorize(browser, begun.headers["location"]))
    # The peer's ID tokens live 60 s; the sign-in under way, 10 minutes.
    clock.advance(timedelta(minutes=3))
    answer = client.get(callback)
    assert answer.status_code == 403
    assert failures(service)[-1]["reason"] == "expired_token"


def test_rotated_keys_are_fetched_again(
    sqlite_only: None,
    client: TestClient,
    service: Service,
    peer: OidcPeer,
    browser: httpx.Client,
    agent: str,
) -> None:
    assert proconnect_sign_in(client, peer, browser).status_code == 200
    fetched = peer.key_fetches()
    peer.rotate_keys()  # a new key, the old one gone from the key set
    browser.cookies.clear()
    assert proconnect_sign_in(client, peer, browser).status_code == 200
    assert peer.key_fetches() == fetched + 1


def test_signing_out_signs_out_of_the_provider_too(
    sqlite_only: None,
    client: TestClient,
    service: Service,
    peer: OidcPeer,
    browser: httpx.Client,
    agent: str,
) -> None:
    assert proconnect_sign_in(client, peer, browser).status_code == 200
    csrf = hidden(client.get("/").text, "csrf_token")
    out = client.post("/deconnexion", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    logout = out.headers["location"]
    assert logout.startswith(f"{peer.issuer}/session/end?")
    query = parse_qs(urlsplit(logout).query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == [f"{CONSOLE}/connexion/proconnect/deconnexion"]
    # The provider accepts the hint and asks for confirmation; confirmed, it sends back here.
    confirm = browser.get(logout)
    assert confirm.status_code == 200, confirm.text[:2000]
    found = re.search(r'name="xsrf" value="([^"]+)"', confirm.text)
    action = re.search(r'action="([^"]+)"', confirm.text)
    assert found is not None and action is not None
    done = browser.post(
        urljoin(logout, action.group(1)),
        data={"xsrf": found.group(1), "logout": "yes"},
        follow_redirects=False,
    )
    back = done.headers["location"]
    assert back.startswith(f"{CONSOLE}/connexion/proconnect/deconnexion")
    final = client.get(callback_path(back), follow_redirects=False)
    assert final.headers["location"] == "/connexion?fait=deconnexion"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_administrator_sees_the_binding_and_can_unbind(
    client: TestClient,
    service: Service,
    peer: OidcPeer,
    browser: httpx.Client,
    agent: str,
    people: dict[str, str],
) -> None:
    assert proconnect_sign_in(client, peer, browser).status_code == 200
    admin = new_client(service)
    csrf = sign_in(admin, people["admin"])
    text = " ".join(html.unescape(admin.get("/administration").text).split())
    assert "Connexion : ProConnect — dernière connexion" in text
    assert f"identifiant {AGENT['sub']}" in text.replace("<code>", "").replace("</code>", "")
    assert "(ProConnect)" in text and "(mot de passe)" in text  # the admin's own last sign-in
    unbound = admin.post(
        f"/administration/utilisateurs/{agent}/delier",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert unbound.status_code == 303
    with service.bus.reading() as uow:
        user = uow.users.by_name(agent)
    assert user is not None and user.oidc_subject is None
    # Its ProConnect session ended with the binding.
    assert client.get("/", follow_redirects=False).status_code == 303
    assert any(e.kind == "command.UnbindIdentity" for e in system_entries(service))
    # The e-mail changes; a new address held by another account is refused.
    moved = admin.post(
        f"/administration/utilisateurs/{agent}/adresse",
        data={"csrf_token": csrf, "email": "claire@prefecture.gouv.fr"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    service.bus.handle(
        AddUser(name="autre", role="auditor", email="autre@prefecture.gouv.fr"), actor=SYSTEM_ACTOR
    )
    taken = admin.post(
        f"/administration/utilisateurs/{agent}/adresse",
        data={"csrf_token": csrf, "email": "AUTRE@prefecture.gouv.fr"},
        follow_redirects=False,
    )
    assert taken.status_code == 409
    assert "déjà celle du compte « autre »" in html.unescape(taken.text)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_provider_down_leaves_the_break_glass_password(
    service: Service, tmp_path: Path, engine: Any, clock: ManualClock
) -> None:
    from crisis.bootstrap import SchedulerMode, bootstrap

    down = bootstrap(
        settings=Settings(
            data_dir=tmp_path,
            approval_audiences=[],
            signin_failure_delay_seconds=0,
            oidc_issuer=f"http://127.0.0.1:{_closed_port()}",
            oidc_client_id=CLIENT_ID,
            oidc_timeout_seconds=2,
            password_signin_break_glass_only=True,
            break_glass_accounts=["secours"],
        ),
        clock=clock,
        engine=engine,
        scheduler_mode=SchedulerMode.NONE,
    )
    for name in ("secours", "agent"):
        down.bus.handle(AddUser(name=name, role="admin", password=PASSWORD), actor=SYSTEM_ACTOR)
    client = new_client(down)
    answer = start(client)
    assert answer.status_code == 503
    assert "ProConnect injoignable, utilisez votre mot de passe de secours" in html.unescape(
        answer.text
    )
    assert any(e.kind == "auth.FederationUnreachable" for e in system_entries(down))
    sign_in(client, "secours")  # the break-glass account's password still works
    other = new_client(down)
    refused = other.post(
        "/connexion",
        data={
            "username": "agent",
            "password": PASSWORD,
            "csrf_token": hidden(other.get("/connexion").text, "csrf_token"),
        },
        follow_redirects=False,
    )
    assert refused.status_code == 401
    assert html.escape(PASSWORD_SIGNIN_OFF, quote=True) in refused.text or (
        PASSWORD_SIGNIN_OFF in html.unescape(refused.text)
    )
    assert failures(down)[-1]["reason"] == "password_signin_off"
