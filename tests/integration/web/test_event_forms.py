"""Opening an event from the console: one crisis per submitted form, roles as in the API."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.domain.vocabulary import CrisisState
from tests.integration.web.conftest import hidden, sign_in

FORM = {
    "title": "Crue de l'Orge",
    "kind": "inondation",
    "nature": "exercice",
    "activate": "oui",
    "decided_by": "la préfète",
    "decided_at": "",
    "synergi_ref": "SYN-91-7",
}


def test_a_double_submit_opens_one_event(
    client: TestClient, people: dict[str, str], service: Service
) -> None:
    token = sign_in(client, people["duty_officer"])
    form_page = client.get("/evenements/nouveau").text
    data = {**FORM, "csrf_token": token, "idempotency_key": hidden(form_page, "idempotency_key")}
    first = client.post("/evenements", data=data, follow_redirects=False)
    second = client.post("/evenements", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    with service.bus.unit_of_work() as uow:
        found = uow.crises.find()
    assert len(found) == 1
    assert found[0].state is CrisisState.COD_ACTIVE
    assert found[0].exercise


def test_errors_are_shown_beside_their_field_and_nothing_is_created(
    client: TestClient, people: dict[str, str], service: Service
) -> None:
    token = sign_in(client, people["duty_officer"])
    response = client.post(
        "/evenements", data={**FORM, "title": "", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert 'id="erreur-title"' in text
    assert 'aria-describedby="erreur-title"' in text
    real = client.post(
        "/evenements", data={**FORM, "nature": "reel", "csrf_token": token}, follow_redirects=False
    )
    assert real.status_code == 422
    assert "Confirmez qu'il s'agit d'un événement réel" in html.unescape(real.text)
    with service.bus.unit_of_work() as uow:
        assert uow.crises.find() == []


def test_a_hand_crafted_post_of_another_role_gets_403(
    client: TestClient, people: dict[str, str], service: Service
) -> None:
    token = sign_in(client, people["auditor"])
    assert "Ouvrir un événement" not in client.get("/").text  # not offered to the auditor
    response = client.post("/evenements", data={**FORM, "csrf_token": token})
    assert response.status_code == 403
    assert "Votre rôle (auditeur) ne permet pas d'ouvrir un événement" in html.unescape(
        response.text
    )
    with service.bus.unit_of_work() as uow:
        assert uow.crises.find() == []
