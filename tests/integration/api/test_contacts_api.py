"""`/api/v1/contacts` through the real app: roles, validation, CSV upload, lists, idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.domain.commands import AddUser
from crisis.services.context import Actor
from crisis.store.journal import SYSTEM_STREAM

OPERATOR = Actor(name="opérateur", role="local")
HEADER = "nom;categorie;email;mobile;telegram;commune;fonction;exercice"
GOOD = "\r\n".join(
    (
        HEADER,
        "Jean Dupont;elu;jean.dupont@evry.fr;06 12 34 56 78;;Évry-Courcouronnes;Maire;oui",
        "Hélène Lefèvre;elu;;07 56 12 34 56;;Corbeil-Essonnes;Maire-adjoint;non",
        "Le Parisien;media;redaction@leparisien.fr;;;Paris;;x",
    )
)


def token(service: Service, role: str) -> dict[str, str]:
    result: dict[str, Any] = service.bus.handle(AddUser(name=role, role=role), actor=OPERATOR)
    return {"Authorization": f"Bearer {result['token']}"}


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(create_app(service))


@pytest.fixture
def cell(service: Service) -> dict[str, str]:
    return token(service, "comm_cell")


def upload(client: TestClient, headers: dict[str, str], text: str, **params: Any) -> Any:
    return client.post(
        "/api/v1/contacts/import",
        content=text.encode("cp1252"),
        params=params,
        headers={**headers, "Content-Type": "text/csv"},
    )


def test_import_then_filter(client: TestClient, cell: dict[str, str]) -> None:
    response = upload(client, cell, GOOD, file_name="annuaire.csv")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("file_name", "created", "updated", "unchanged", "skipped")} == {
        "file_name": "annuaire.csv",
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert body["errors"] == []
    listed = client.get("/api/v1/contacts", params={"category": "elu"}, headers=cell).json()
    assert [c["name"] for c in listed["contacts"]] == ["Hélène Lefèvre", "Jean Dupont"]
    assert listed["contacts"][1]["commune"] == "Évry-Courcouronnes"
    drill = client.get("/api/v1/contacts", params={"exercise": True}, headers=cell).json()
    assert [c["name"] for c in drill["contacts"]] == ["Jean Dupont", "Le Parisien"]
    elus = client.get(
        "/api/v1/contacts/audiences/elus", params={"exercise": True}, headers=cell
    ).json()
    assert [c["name"] for c in elus["contacts"]] == ["Jean Dupont"]
    public = client.get("/api/v1/contacts/audiences/public", headers=cell).json()
    assert public == {"contacts": []}


def test_invalid_upload_is_422_with_every_line(client: TestClient, cell: dict[str, str]) -> None:
    text = GOOD + "\r\nErreur;elu;;06 12;;;;\r\nAutre;pompier;;;;;;"
    response = upload(client, cell, text)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["fields"] == [
        {"field": "mobile", "reason": "ligne 5 : mobile « 06 12 » invalide"},
        {
            "field": "categorie",
            "reason": "ligne 6 : catégorie « pompier » inconnue "
            "(valeurs possibles : elu, media, cellule, partenaire)",
        },
    ]
    assert client.get("/api/v1/contacts", headers=cell).json() == {"contacts": []}
    response = upload(client, cell, text, skip_invalid=True)
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["skipped"]) == (3, 2)


def test_roles(client: TestClient, service: Service) -> None:
    for role in ("prefect", "auditor"):
        headers = token(service, role)
        assert upload(client, headers, GOOD).status_code == 403
        assert client.get("/api/v1/contacts", headers=headers).status_code == 200
    for role in ("duty_officer", "admin"):
        assert upload(client, token(service, role), GOOD).status_code == 200
    assert client.get("/api/v1/contacts").status_code == 401


def test_create_and_update_one_contact(client: TestClient, cell: dict[str, str]) -> None:
    body = {"name": "Marie Curie", "category": "elu", "mobile": "612345678", "commune": "Lisses"}
    response = client.post("/api/v1/contacts", json=body, headers=cell)
    assert response.status_code == 201
    created = response.json()
    assert (created["mobile"], created["key"], created["exercise"]) == (
        "+33612345678",
        "mobile:+33612345678",
        False,
    )
    assert client.post("/api/v1/contacts", json=body, headers=cell).status_code == 409
    response = client.put(
        f"/api/v1/contacts/{created['id']}",
        json={**body, "fonction": "Maire", "exercise": True},
        headers=cell,
    )
    assert response.status_code == 200
    assert (response.json()["fonction"], response.json()["exercise"]) == ("Maire", True)
    read = client.get(f"/api/v1/contacts/{created['id']}", headers=cell).json()
    assert read["fonction"] == "Maire"
    assert client.get("/api/v1/contacts/nope", headers=cell).status_code == 404


def test_bad_contact_is_422_with_field_and_french_reason(
    client: TestClient, cell: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/contacts",
        json={"name": "X", "category": "elu", "mobile": "01 23 45 67 89", "email": "x@"},
        headers=cell,
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [
        {"field": "email", "reason": "e-mail « x@ » invalide"},
        {
            "field": "mobile",
            "reason": "mobile « 01 23 45 67 89 » invalide : ce n'est pas un numéro de mobile",
        },
    ]
    response = client.post(
        "/api/v1/contacts", json={"name": "X", "category": "pompier"}, headers=cell
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "category"


def test_idempotent_import(client: TestClient, cell: dict[str, str], service: Service) -> None:
    key = {**cell, "Idempotency-Key": "import-1"}
    first = upload(client, key, GOOD)
    second = upload(client, key, GOOD)
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    with service.bus.unit_of_work() as uow:
        kinds = [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]
    assert kinds.count("command.ImportContacts") == 1
    other = upload(client, key, GOOD + "\r\nNouveau;media;n@x.fr;;;;;")
    assert other.status_code == 422
    assert other.json()["error"]["fields"][0]["field"] == "Idempotency-Key"


def test_named_lists(client: TestClient, cell: dict[str, str]) -> None:
    upload(client, cell, GOOD)
    response = client.post(
        "/api/v1/contacts/lists",
        json={"name": "Maires des communes inondées", "description": "Crue"},
        headers=cell,
    )
    assert response.status_code == 201
    list_id = response.json()["id"]
    response = client.post(
        f"/api/v1/contacts/lists/{list_id}/members",
        json={"contacts": ["jean.dupont@evry.fr", "0756123456"]},
        headers=cell,
    )
    assert response.status_code == 200
    assert len(response.json()["changed"]) == 2
    detail = client.get(f"/api/v1/contacts/lists/{list_id}", headers=cell).json()
    assert [c["name"] for c in detail["contacts"]] == ["Hélène Lefèvre", "Jean Dupont"]
    drill = client.get(
        f"/api/v1/contacts/lists/{list_id}", params={"exercise": True}, headers=cell
    ).json()
    assert [c["name"] for c in drill["contacts"]] == ["Jean Dupont"]
    response = client.post(
        f"/api/v1/contacts/lists/{list_id}/members/remove",
        json={"contacts": ["0756123456"]},
        headers=cell,
    )
    assert response.status_code == 200
    lists = client.get("/api/v1/contacts/lists", headers=cell).json()["lists"]
    assert [cl["name"] for cl in lists] == ["Maires des communes inondées"]
    conflict = client.post(
        "/api/v1/contacts/lists", json={"name": "maires des communes inondees"}, headers=cell
    )
    assert conflict.status_code == 409
    missing = client.get("/api/v1/contacts/lists/nope", headers=cell)
    assert missing.status_code == 404


def test_openapi_documents_the_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    upload_route = spec["paths"]["/api/v1/contacts/import"]["post"]
    assert set(upload_route["responses"]) == {"200", "400", "401", "403", "413", "422", "503"}
    assert "text/csv" in upload_route["requestBody"]["content"]
    put_route = spec["paths"]["/api/v1/contacts/{contact_id}"]["put"]
    assert set(put_route["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "422",
        "503",
    }


def test_deactivated_contact_is_left_out_of_its_audience(
    client: TestClient, cell: dict[str, str], service: Service
) -> None:
    upload(client, cell, GOOD, file_name="annuaire.csv")
    jean = client.get("/api/v1/contacts", params={"category": "elu"}, headers=cell).json()
    jean_id = next(c["id"] for c in jean["contacts"] if c["name"] == "Jean Dupont")
    auditor = token(service, "auditor")
    refused = client.post(f"/api/v1/contacts/{jean_id}/deactivate", json={}, headers=auditor)
    assert refused.status_code == 403
    done = client.post(
        f"/api/v1/contacts/{jean_id}/deactivate", json={"reason": "fin de mandat"}, headers=cell
    )
    assert done.status_code == 200
    assert done.json()["active"] is False
    elus = client.get("/api/v1/contacts/audiences/elus", headers=cell).json()
    assert [c["name"] for c in elus["contacts"]] == ["Hélène Lefèvre"]
    inactive = client.get("/api/v1/contacts", params={"active": False}, headers=cell).json()
    assert [c["name"] for c in inactive["contacts"]] == ["Jean Dupont"]
    again = client.post(f"/api/v1/contacts/{jean_id}/deactivate", json={}, headers=cell)
    assert again.status_code == 409
    back = client.post(f"/api/v1/contacts/{jean_id}/reactivate", headers=cell)
    assert back.json()["active"] is True
    with service.bus.unit_of_work() as uow:
        kinds = [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]
    assert kinds.count("command.DeactivateContact") == 1
