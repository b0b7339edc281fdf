"""The public page and feeds change only when a message is published: `<updated>` is the
latest entry's instant, every answer carries ETag and Last-Modified, and a conditional
request for the same version gets an empty 304."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from tests.integration.delivery.conftest import Fakes, open_active, token_for
from tests.integration.delivery.test_broadcast import dispatch

PAGES = ("", "/feed.atom", "/feed.json", "/cap.atom")


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(create_app(service))


@pytest.fixture
def publish(service: Service, client: TestClient) -> Callable[..., None]:
    cell = {"Authorization": f"Bearer {token_for(service, 'comm_cell')}"}

    def send(text: str, *, exercise: bool = False) -> None:
        _publish(service, client, cell, text, exercise=exercise)

    return send


def _publish(
    service: Service, client: TestClient, cell: dict[str, str], text: str, *, exercise: bool
) -> None:
    crisis_id = open_active(service, exercise=exercise)
    response = client.post(
        f"/api/v1/crises/{crisis_id}/messages",
        json={
            "texts": {"default": text, "cap_instruction": "Éloignez-vous des berges."},
            "audiences": ["public"],
            "channels": ["feed", "cap"],
        },
        headers=cell,
    )
    assert response.status_code == 201, response.text
    dispatch(service)


def test_feed_updated_is_its_latest_entry_not_the_time_of_the_request(
    fakes: Fakes, client: TestClient, clock: ManualClock, publish: Callable[..., None]
) -> None:
    publish("Crue de la Seine : les berges de Corbeil sont fermées.")
    first = feedparser.parse(client.get("/public/feed.atom").content)
    (entry,) = first.entries
    assert first.feed.updated == entry.updated
    clock.advance(timedelta(minutes=7))
    again = feedparser.parse(client.get("/public/feed.atom").content)
    assert again.feed.updated == first.feed.updated
    cap = feedparser.parse(client.get("/public/cap.atom").content)
    assert cap.feed.updated == cap.entries[0].updated
    empty = feedparser.parse(client.get("/public/exercice/feed.atom").content)
    assert not empty.entries
    assert empty.feed.updated.startswith("1970-01-01")


@pytest.mark.parametrize("prefix", ["/public", "/public/exercice"])
def test_every_public_address_answers_304_to_a_conditional_request(
    fakes: Fakes, client: TestClient, clock: ManualClock, publish: Callable[..., None], prefix: str
) -> None:
    publish("Crue : point de situation.", exercise=prefix.endswith("exercice"))
    cap_link = feedparser.parse(client.get(f"{prefix}/cap.atom").content).entries[0].links
    (document,) = [link.href for link in cap_link if link.type == "application/cap+xml"]
    paths = [prefix + p for p in PAGES] + [document[document.index(prefix) :]]
    for path in paths:
        first = client.get(path)
        assert first.status_code == 200, path
        tag, modified = first.headers["etag"], first.headers["last-modified"]
        assert modified.endswith(" GMT")
        clock.advance(timedelta(minutes=1))
        by_tag = client.get(path, headers={"If-None-Match": tag})
        assert by_tag.status_code == 304, path
        assert by_tag.content == b""
        assert by_tag.headers["etag"] == tag
        by_date = client.get(path, headers={"If-Modified-Since": modified})
        assert by_date.status_code == 304, path
        stale = client.get(path, headers={"If-None-Match": '"autre-version"'})
        assert stale.status_code == 200, path
        assert stale.content == first.content


def test_a_new_message_changes_the_etag_and_last_modified(
    fakes: Fakes, client: TestClient, clock: ManualClock, publish: Callable[..., None]
) -> None:
    publish("Premier message.")
    before = {p: client.get("/public" + p) for p in PAGES}
    clock.advance(timedelta(minutes=5))
    publish("Deuxième message.")
    for path, old in before.items():
        new = client.get("/public" + path, headers={"If-None-Match": old.headers["etag"]})
        assert new.status_code == 200, path
        assert new.headers["etag"] != old.headers["etag"]
        assert new.headers["last-modified"] != old.headers["last-modified"]
        since = client.get(
            "/public" + path, headers={"If-Modified-Since": old.headers["last-modified"]}
        )
        assert since.status_code == 200, path
