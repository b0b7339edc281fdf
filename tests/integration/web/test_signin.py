"""Signing in to the console: cookie flags, renewal, CSRF, lockout, headers, journal, logs."""

from __future__ import annotations

import html
import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.settings import Settings
from crisis.store.journal import SYSTEM_STREAM
from tests.integration.web.conftest import PASSWORD, hidden, new_client, sign_in


def _post_signin(client: TestClient, name: str, password: str) -> Response:
    token = hidden(client.get("/connexion").text, "csrf_token")
    return client.post(
        "/connexion",
        data={"username": name, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def test_a_page_needs_signing_in_and_sends_back_after(
    client: TestClient, people: dict[str, str]
) -> None:
    response = client.get("/validation", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?suite=%2Fvalidation"
    form = client.get(response.headers["location"])
    answer = client.post(
        "/connexion",
        data={
            "username": people["duty_officer"],
            "password": PASSWORD,
            "csrf_token": hidden(form.text, "csrf_token"),
            "suite": hidden(form.text, "suite"),
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/validation"


def test_session_cookie_flags_and_lifetime(client: TestClient, people: dict[str, str]) -> None:
    response = _post_signin(client, people["comm_cell"], PASSWORD)
    cookie = response.headers["set-cookie"]
    assert "crisis_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" in cookie  # served over HTTPS
    assert "Max-Age=43200" in cookie  # CRISIS_SESSION_MINUTES, 12 h by default


def test_no_secure_flag_over_plain_http(service: Service, people: dict[str, str]) -> None:
    plain = TestClient(new_client(service).app, base_url="http://console.test")
    response = _post_signin(plain, people["comm_cell"], PASSWORD)
    session_cookie = [
        c for c in response.headers.get_list("set-cookie") if c.startswith("crisis_session=")
    ]
    assert session_cookie and "Secure" not in session_cookie[0]


def test_the_session_is_renewed_at_sign_in(client: TestClient, people: dict[str, str]) -> None:
    client.cookies.set("crisis_session", "fixed-by-an-attacker", domain="console.test")
    _post_signin(client, people["comm_cell"], PASSWORD)
    first = client.cookies.get("crisis_session")
    assert first and first != "fixed-by-an-attacker"
    _post_signin(client, people["comm_cell"], PASSWORD)
    second = client.cookies.get("crisis_session")
    assert second and second != first
    # The old session is gone: presenting it again leads to the sign-in page.
    client.cookies.set("crisis_session", first, domain="console.test")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(client: TestClient, people: dict[str, str]) -> None:
    token = sign_in(client, people["auditor"])
    session_id = client.cookies.get("crisis_session")
    response = client.post("/deconnexion", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("crisis_session", session_id or "", domain="console.test")
    assert client.get("/", follow_redirects=False).status_code == 303
    # A dashboard poll with the ended session: htmx is told to load the sign-in form.
    poll = client.get("/tableau/evenements", headers={"HX-Request": "true"})
    assert poll.status_code == 401
    assert poll.headers["HX-Redirect"] == "/connexion"


def test_forms_without_the_csrf_token_are_refused(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["auditor"])
    for data in ({}, {"csrf_token": "faux"}):
        response = client.post("/deconnexion", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "jeton de sécurité" in response.text
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in
    # The sign-in form has its own token.
    anonymous = TestClient(client.app, base_url="https://console.test")
    response = anonymous.post(
        "/connexion",
        data={"username": people["auditor"], "password": PASSWORD, "csrf_token": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_wrong_passwords_slow_down_the_attempts_and_never_lock(
    client: TestClient, people: dict[str, str], service: Service, clock: ManualClock
) -> None:
    name = people["prefect"]
    for _ in range(5):  # CRISIS_SIGNIN_FREE_FAILURES
        response = _post_signin(client, name, "pas-le-bon-mot-de-passe")
        assert response.status_code == 401
        assert "incorrect" in response.text
    # Too early after the fifth: refused without looking at the password, the wait given.
    early = _post_signin(client, name, PASSWORD)
    assert early.status_code == 401
    assert "patientez 1 seconde avant de réessayer" in html.unescape(early.text)
    clock.advance(timedelta(seconds=1))
    sixth = _post_signin(client, name, "pas-le-bon-mot-de-passe")
    assert "incorrect" in sixth.text
    assert "patientez 2 secondes" in html.unescape(_post_signin(client, name, PASSWORD).text)
    # Once the delay has run out the right password works: nothing was ever locked.
    clock.advance(timedelta(seconds=2))
    assert _post_signin(client, name, PASSWORD).status_code == 303
    with service.bus.unit_of_work() as uow:
        entries = uow.journal.entries(SYSTEM_STREAM, after_seq=0, limit=1000)
    failures = [e.payload for e in entries if e.kind == "auth.SignInFailed"]
    assert [f["in_a_row"] for f in failures] == [1, 2, 3, 4, 5, 6]
    assert failures[0]["address"] == "testclient"
    # A success starts the name's count again.
    assert "incorrect" in _post_signin(client, name, "encore-faux-mot-de-passe").text


def test_an_unknown_name_is_slowed_down_the_same_way(
    client: TestClient, people: dict[str, str]
) -> None:
    answers: dict[str, list[str]] = {}
    for name in (people["auditor"], "personne-de-ce-nom"):
        answers[name] = [
            html.unescape(_post_signin(client, name, "mauvais-mot-de-passe").text)
            .split('id="erreur-connexion"')[-1]
            .split("</p>")[0]
            for _ in range(6)
        ]
    first, second = answers.values()
    assert first == second
    assert "patientez" in first[-1]


def test_an_address_that_keeps_guessing_is_slowed_down(
    service: Service, settings: Settings, people: dict[str, str]
) -> None:
    client = new_client(service)
    limit = settings.signin_address_free_failures
    for index in range(limit):
        assert "incorrect" in _post_signin(client, f"nom-{index}", "mauvais").text
    refused = _post_signin(client, people["auditor"], PASSWORD)
    assert refused.status_code == 401
    assert "patientez" in html.unescape(refused.text)


def test_an_unknown_name_gets_the_same_answer(client: TestClient, people: dict[str, str]) -> None:
    unknown = _post_signin(client, "personne", PASSWORD)
    wrong = _post_signin(client, people["auditor"], "mauvais-mot-de-passe")
    assert unknown.status_code == wrong.status_code == 401
    assert "Nom d'utilisateur ou mot de passe incorrect." in html.unescape(unknown.text)


def test_security_headers_on_console_pages(client: TestClient, people: dict[str, str]) -> None:
    for response in (client.get("/connexion"), client.get("/static/console.css")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in client.get("/healthz").headers["content-security-policy"]


def test_no_password_token_or_session_in_the_logs(
    client: TestClient, people: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _post_signin(client, people["comm_cell"], "un-mauvais-essai-123")
    token = sign_in(client, people["comm_cell"])
    client.get("/")
    text = caplog.text
    for secret in (PASSWORD, "un-mauvais-essai-123", token, client.cookies.get("crisis_session")):
        assert secret and secret not in text
