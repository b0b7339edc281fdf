"""A role that may not act is told so (403) before anything it sent is looked at: a read-only
auditor posting nonsense to any write route of the API or form of the console never gets a
422 that would tell it how to shape its request."""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.domain.commands import AddUser
from crisis.services.context import SYSTEM_ACTOR
from tests.integration.web.conftest import hidden, new_client, sign_in

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Routes every signed-in person may use: they compute or concern the person themself.
OPEN_TO_ALL = {
    "/api/v1/templates/{name}/preview",
    "/connexion",
    "/deconnexion",
    "/compte/mot-de-passe",
    # the person's own passkeys and verifications
    "/compte/cles-d-acces",
    "/compte/cles-d-acces/options",
    "/compte/cles-d-acces/{passkey_id}/nom",
    "/compte/cles-d-acces/{passkey_id}/revoquer",
    "/verification/mot-de-passe",
    "/verification/cle/options",
    "/verification/cle",
    # the auditor's one write: a remark on the replay (the other roles' refusal is tested
    # in test_replay_page)
    "/evenements/{crisis_id}/rejouer/annotations",
}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def write_routes(client: TestClient) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if route.path is None or route.path in OPEN_TO_ALL:
            continue
        if route.path.startswith(("/ack/", "/telegram/", "/public")):
            continue  # signed by their own token, not by a session or a bearer
        for method in sorted((route.methods or set()) & WRITE_METHODS):
            found.append((method, route.path))
    return found


def test_the_auditor_gets_403_before_any_check_of_what_it_sent(
    service: Service, people: dict[str, str]
) -> None:
    token = service.bus.handle(AddUser(name="lecteur", role="auditor"), actor=SYSTEM_ACTOR)["token"]
    client = new_client(service)
    csrf = sign_in(client, people["auditor"])
    routes = write_routes(client)
    assert len(routes) > 40
    answers = {}
    for method, path in routes:
        url = concrete(path)
        if path.startswith("/api/"):
            # A body of the wrong shape, one that is no JSON, one that is not even UTF-8.
            for body in (b'{"champ": "absurde"}', b"{pas du JSON", b"\xff\xfe{"):
                answer = client.request(
                    method,
                    url,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                    content=body,
                )
                answers[(method, f"{path} {body!r}")] = answer.status_code
                anonymous = client.request(
                    method, url, headers={"Content-Type": "application/json"}, content=body
                )
                assert anonymous.status_code in (401, 404), (method, path, body)
        else:
            answer = client.request(
                method, url, data={"csrf_token": csrf, "champ": "absurde"}, follow_redirects=False
            )
        answers[(method, path)] = answer.status_code
    unexpected = {route: status for route, status in answers.items() if status in (400, 422)}
    assert sorted(unexpected) == [], " ".join(p for _, p in sorted(unexpected))
    assert hidden(client.get("/").text, "csrf_token")  # still signed in
