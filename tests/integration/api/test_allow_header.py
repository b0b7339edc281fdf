"""A 405 names, in `Allow`, every method the address answers (the framework named only those
of its first route), HEAD wherever GET is."""

from __future__ import annotations

import re
from collections import defaultdict

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient


def test_every_405_lists_all_the_methods_of_its_address(client: TestClient) -> None:
    by_path: dict[str, set[str]] = defaultdict(set)
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if route.path is not None and route.methods:
            by_path[route.path] |= set(route.methods)
    checked = 0
    for path, methods in by_path.items():
        expected = methods | ({"HEAD"} if "GET" in methods else set())
        url = re.sub(r"\{[^}]+\}", "x", path)
        answer = client.request("PATCH" if "PATCH" not in methods else "PUT", url)
        if answer.status_code != 405:
            continue  # another route's pattern took the address (`/x` under `/{id}`)
        assert set(answer.headers["allow"].split(", ")) >= expected, path
        checked += 1
    assert checked > 50
    answer = client.request("DELETE", "/api/v1/crises")
    assert answer.headers["allow"] == "GET, HEAD, POST"
    assert answer.json()["error"]["message"] == "Méthode non permise pour cette adresse."
