"""The database stops answering: the console and the API say so in French, with 503 and
Retry-After, log it, and serve again as soon as it is back, without a restart."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.domain.commands import AddUser
from crisis.services.context import SYSTEM_ACTOR
from tests.database_outage import database_down
from tests.integration.delivery.conftest import open_active, token_for
from tests.integration.web.conftest import sign_in
from tests.integration.web.test_public_page import publish


def test_the_console_says_the_database_is_unreachable(
    service: Service, client: TestClient, people: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    sign_in(client, people["duty_officer"])
    with database_down(service.engine), caplog.at_level(logging.WARNING):
        page = client.get("/")
        poll = client.get("/tableau/evenements", headers={"HX-Request": "true"})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "Base de données injoignable" in page.text
    assert "Réessayez dans un instant" in page.text
    assert "Traceback" not in page.text
    assert poll.status_code == 503  # htmx leaves the last good answer in place
    assert any(
        "base de données injoignable : GET /" in record.getMessage() for record in caplog.records
    )
    # Back, without a restart: the same session still signs the officer in.
    assert client.get("/").status_code == 200


def test_the_api_says_the_database_is_unreachable(service: Service) -> None:
    token = service.bus.handle(AddUser(name="api-cod", role="duty_officer"), actor=SYSTEM_ACTOR)[
        "token"
    ]
    client = TestClient(create_app(service))
    headers = {"Authorization": f"Bearer {token}"}
    with database_down(service.engine):
        answer = client.get("/api/v1/crises", headers=headers)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.json()["error"]["code"] == "database_unavailable"
    assert answer.json()["error"]["message"].startswith("Base de données injoignable")
    assert client.get("/api/v1/crises", headers=headers).status_code == 200


def test_the_quick_reads_of_a_kept_answer_say_so_too(
    service: Service, people: dict[str, str]
) -> None:
    """A server that went away: the single statement of a kept event read or of an unchanged
    poll gets the same 503 as a unit of work (on SQLite the file is there: nothing to say)."""
    if service.engine.dialect.name == "sqlite":
        pytest.skip("a database file does not go away")
    token = service.bus.handle(AddUser(name="api-cod", role="duty_officer"), actor=SYSTEM_ACTOR)[
        "token"
    ]
    crisis_id = open_active(service, exercise=False)
    # With the lifespan, as the real server runs: the event loop's own connection for the
    # quick reads is what the outage must reach.
    with TestClient(create_app(service), base_url="https://console.test") as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get(f"/api/v1/crises/{crisis_id}", headers=headers).status_code == 200
        sign_in(client, people["duty_officer"])
        tag = client.get("/tableau/evenements", headers={"HX-Request": "true"}).headers["ETag"]
        with database_down(service.engine):
            read = client.get(f"/api/v1/crises/{crisis_id}", headers=headers)
            poll = client.get(
                "/tableau/evenements", headers={"HX-Request": "true", "If-None-Match": tag}
            )
        assert read.status_code == 503
        assert read.json()["error"]["code"] == "database_unavailable"
        assert poll.status_code == 503
        assert client.get(f"/api/v1/crises/{crisis_id}", headers=headers).status_code == 200


def test_the_openapi_document_lists_the_503(service: Service) -> None:
    schema = TestClient(create_app(service)).get("/openapi.json").json()
    crises = schema["paths"]["/api/v1/crises"]["get"]["responses"]
    assert "503" in crises
    assert "503" not in schema["paths"]["/healthz"]["get"]["responses"]


def test_the_public_keeps_the_last_information_while_the_database_is_away(
    service: Service, client: TestClient
) -> None:
    cell = {"Authorization": f"Bearer {token_for(service, 'comm_cell')}"}
    crisis_id = open_active(service, exercise=False)
    publish(client, service, cell, crisis_id, "Crue : évitez les berges de la Seine.")
    addresses = ("/public", "/public/feed.atom", "/public/feed.json", "/public/cap.atom")
    before = {address: client.get(address) for address in addresses}
    assert all(answer.status_code == 200 for answer in before.values())

    with database_down(service.engine):
        during = {address: client.get(address) for address in addresses}
        revalidated = client.get(
            "/public/feed.atom",
            headers={"If-None-Match": before["/public/feed.atom"].headers["ETag"]},
        )
        never_read = client.get("/public/exercice", headers={"Accept": "text/html"})
        never_read_feed = client.get("/public/exercice/feed.atom")

    # The feeds, exactly as they were; the page, with the same message and a notice.
    for address in addresses[1:]:
        assert during[address].status_code == 200, address
        assert during[address].content == before[address].content, address
        assert during[address].headers["ETag"] == before[address].headers["ETag"]
    assert revalidated.status_code == 304
    page = during["/public"]
    assert page.status_code == 200
    assert "Crue : évitez les berges de la Seine." in page.text
    assert "Mise à jour momentanément interrompue" in page.text
    assert "Mise à jour momentanément interrompue" not in before["/public"].text
    # What this process never served: the service's 503, as a page for a browser.
    assert never_read.status_code == 503
    assert "Base de données injoignable" in never_read.text
    assert 'href="/">Retour au tableau de bord</a>' not in never_read.text
    assert "rechargez cette page" in never_read.text
    assert never_read_feed.status_code == 503
    assert never_read_feed.json()["error"]["code"] == "database_unavailable"
    # Back: the page without its notice.
    assert "Mise à jour momentanément interrompue" not in client.get("/public").text
