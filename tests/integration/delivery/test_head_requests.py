"""`HEAD` is answered wherever `GET` is: the same status and headers, and no body."""

from __future__ import annotations

import re

import feedparser
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from tests.integration.delivery.conftest import Fakes, token_for
from tests.integration.delivery.test_public_conditional import _publish

_PARAMETER = re.compile(r"\{[^}]+\}")
# Headers that differ from one answer to the next whatever the method.
_PER_ANSWER = {"date", "x-request-id", "set-cookie", "content-length"}


def _get_paths(app: FastAPI) -> list[str]:
    """Every GET route of the application (those of its included routers too), its
    parameters filled with an unknown value."""
    return sorted(
        {
            _PARAMETER.sub("inconnu", route.path)
            for route in iter_route_contexts(app.routes)
            if route.path is not None and "GET" in (route.methods or ())
        }
    )


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(create_app(service))


def test_every_get_route_answers_head_with_its_status_and_headers_and_no_body(
    service: Service, fakes: Fakes, client: TestClient
) -> None:
    auditor = {"Authorization": f"Bearer {token_for(service, 'auditor')}"}
    paths = _get_paths(client.app)  # type: ignore[arg-type]
    assert {"/public", "/public/feed.atom", "/healthz", "/api/v1/me"} <= set(paths)
    for path in paths:
        get = client.get(path, headers=auditor, follow_redirects=False)
        head = client.head(path, headers=auditor, follow_redirects=False)
        assert head.status_code == get.status_code != 405, path
        assert head.content == b"", path
        same = {k: v for k, v in get.headers.items() if k not in _PER_ANSWER}
        assert {k: v for k, v in head.headers.items() if k not in _PER_ANSWER} == same, path


@pytest.mark.parametrize("prefix", ["/public", "/public/exercice"])
def test_the_public_page_feeds_and_cap_documents_answer_head_with_their_length(
    service: Service, fakes: Fakes, client: TestClient, prefix: str
) -> None:
    cell = {"Authorization": f"Bearer {token_for(service, 'comm_cell')}"}
    _publish(service, client, cell, "Crue : point de situation.", exercise="exercice" in prefix)
    cap_links = feedparser.parse(client.get(f"{prefix}/cap.atom").content).entries[0].links
    (document,) = [link.href for link in cap_links if link.type == "application/cap+xml"]
    paths = [prefix + p for p in ("", "/feed.atom", "/feed.json", "/cap.atom")]
    for path in [*paths, document[document.index(prefix) :], "/healthz", "/static/console.css"]:
        get = client.get(path)
        head = client.head(path)
        assert get.status_code == head.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-length"] == str(len(get.content)), path
        assert head.headers["content-type"] == get.headers["content-type"], path
        assert head.headers.get("etag") == get.headers.get("etag"), path


def test_a_head_request_is_counted_as_head_on_its_route(
    service: Service, client: TestClient
) -> None:
    assert client.head("/healthz").status_code == 200
    labels = {"route": "/healthz", "method": "HEAD", "status": "200"}
    counted = service.metrics.registry.get_sample_value("crisis_http_requests_total", labels)
    assert counted == 1
