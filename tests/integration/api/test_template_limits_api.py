"""Templates bounded through the API: a bomb is refused with a 422 that names the limit, and
no template is ever rendered while a database transaction is open (on both databases)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from crisis.bootstrap import Service
from crisis.services.context import Actor
from crisis.templating import TemplateRegistry
from tests.integration.api.conftest import auth

OFFICER = Actor(name="cadre", role="duty_officer")
SLOW = (
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
    "{{ f(60 if commune == 'Lente' else 0) }}Coupure à {{ commune }}."
)


def version(sms: str) -> dict[str, Any]:
    return {
        "manifest": {
            "title": "Coupure d'eau potable",
            "description": "Information sur une coupure d'eau potable.",
            "audiences": ["public", "elus"],
            "variants": ["sms"],
            "variables": [
                {"name": "commune", "type": "str", "description": "Commune.", "example": "Massy"}
            ],
        },
        "sources": {"sms": sms},
    }


# The rendering is stopped after 0.5 s of CPU: an unbounded bomb runs for minutes. The wall
# time allowed leaves room for a loaded machine (2 s was exceeded at a load average of 13).
QUICKLY_SECONDS = 5.0


def warm_up(client: TestClient, tokens: dict[str, str]) -> None:
    """The service's first request reads and compiles the bundled templates: not timed."""
    assert client.get("/api/v1/templates", headers=auth(tokens["comm_cell"])).status_code == 200


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 'x'|center(300000000) }}", "texte trop long (plus de 100 000 caractères)"),
        ("{{ '%300000000d' % 1 }}", "texte trop long (plus de 100 000 caractères)"),
        ("{{ '{:300000000}'.format(1) }}", "texte trop long (plus de 100 000 caractères)"),
        ("{{ 'x'|indent(300000000, true) }}", "texte trop long (plus de 100 000 caractères)"),
        (SLOW.replace("== 'Lente'", "!= ''"), "le rendu du modèle a dépassé 0,5 seconde"),
    ],
)
def test_a_bomb_is_refused_quickly_with_a_422_naming_the_limit(
    client: TestClient, tokens: dict[str, str], source: str, reason: str
) -> None:
    warm_up(client, tokens)
    started = time.monotonic()
    answer = client.post(
        "/api/v1/templates/coupure_eau/versions",
        json=version(source),
        headers=auth(tokens["comm_cell"]),
    )
    assert time.monotonic() - started < QUICKLY_SECONDS
    assert answer.status_code == 422, answer.text
    assert reason in answer.json()["error"]["message"]
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["template"]


def test_a_slow_rendering_at_compose_time_is_a_422(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    cell = auth(tokens["comm_cell"])
    saved = client.post("/api/v1/templates/lente/versions", json=version(SLOW), headers=cell)
    assert saved.status_code == 201, saved.text
    warm_up(client, tokens)
    started = time.monotonic()
    composed = client.post(
        f"/api/v1/crises/{crisis_id}/drafts",
        json={"template": "lente", "variables": {"commune": "Lente"}, "audiences": ["public"]},
        headers=cell,
    )
    assert time.monotonic() - started < QUICKLY_SECONDS
    assert composed.status_code == 422
    assert "le rendu du modèle a dépassé 0,5 seconde" in composed.json()["error"]["message"]


class OpenTransactions:
    """How many transactions are open on an engine, across its connections."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def opened(self, *_: Any) -> None:
        with self._lock:
            self.count += 1

    def closed(self, *_: Any) -> None:
        with self._lock:
            self.count -= 1


@pytest.fixture
def open_transactions(service: Service) -> Iterator[OpenTransactions]:
    engine: Engine = service.bus.engine
    counter = OpenTransactions()
    listeners = (
        ("begin", counter.opened),
        ("commit", counter.closed),
        ("rollback", counter.closed),
    )
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield counter
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def test_no_template_is_rendered_while_a_transaction_is_open(
    client: TestClient,
    tokens: dict[str, str],
    crisis_id: str,
    open_transactions: OpenTransactions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Compose, edit, save a version, preview: every rendering finds no transaction open,
    so a slow template holds no lock a deadline check would wait for."""
    seen: list[int] = []
    produce = TemplateRegistry._produce

    def spy(registry: TemplateRegistry, *args: Any, **kwargs: Any) -> str:
        seen.append(open_transactions.count)
        return produce(registry, *args, **kwargs)

    monkeypatch.setattr(TemplateRegistry, "_produce", spy)
    cell = auth(tokens["comm_cell"])
    saved = client.post(
        "/api/v1/templates/coupure_eau/versions",
        json=version("Coupure à {{ commune }}."),
        headers=cell,
    )
    assert saved.status_code == 201, saved.text
    after_save = len(seen)
    composed = client.post(
        f"/api/v1/crises/{crisis_id}/drafts",
        json={"template": "coupure_eau", "variables": {"commune": "Évry"}, "audiences": ["elus"]},
        headers=cell,
    )
    assert composed.status_code == 201, composed.text
    after_compose = len(seen)
    draft = composed.json()["draft_id"]
    edited = client.put(
        f"/api/v1/crises/{crisis_id}/drafts/{draft}",
        json={"variables": {"commune": "Massy"}, "audiences": ["elus"]},
        headers=cell,
    )
    assert edited.status_code == 200, edited.text
    assert "Massy" in edited.json()["texts"]["sms"]
    after_edit = len(seen)
    previewed = client.post(
        "/api/v1/templates/coupure_eau/preview", json={"example": True}, headers=cell
    )
    assert previewed.status_code == 200, previewed.text
    assert 0 < after_save < after_compose < after_edit < len(seen)
    assert set(seen) == {0}, seen
