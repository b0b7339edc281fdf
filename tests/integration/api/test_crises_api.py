"""The crisis API through the real app on both databases: happy paths, roles, bad input."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisis.clock import ManualClock
from crisis.labels import role_label
from tests.integration.api.conftest import auth

OPEN_BODY: dict[str, Any] = {
    "title": "Crue de la Seine à Corbeil-Essonnes",
    "kind": "inondation",
    "communes": ["Corbeil-Essonnes", "Saint-Germain-lès-Corbeil"],
}


def open_crisis(client: TestClient, token: str, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/crises", json=OPEN_BODY | overrides, headers=auth(token))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def test_health(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("header", [None, "Bearer faux-jeton", "Basic abc"])
def test_requests_without_a_valid_token_get_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/crises", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "Authentification requise" in error_of(response)["message"]


def test_open_and_activate_in_one_step_starts_four_clocks(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    decided = clock.now() - timedelta(minutes=7)
    body = open_crisis(
        client,
        tokens["duty_officer"],
        cod_activation={
            "decided_at": decided.isoformat(),
            "decided_by": "M. le préfet",
            "synergi_ref": "SYN-91-2026-118",
        },
    )
    assert body["state"] == "cod_active"
    assert body["cod_activated_at"] == decided.isoformat()
    assert body["activation"]["recorded_by"] == "user-duty_officer"
    assert [c["name"] for c in body["clocks"]] == ["cell", "elus", "public", "media"]
    deadline = (decided + timedelta(minutes=60)).isoformat()
    assert all(c["deadline"] == deadline and c["state"] == "running" for c in body["clocks"])


def test_activate_then_a_second_activation_is_409(
    client: TestClient, tokens: dict[str, str]
) -> None:
    crisis = open_crisis(client, tokens["duty_officer"])
    url = f"/api/v1/crises/{crisis['crisis_id']}/cod-activation"
    body = {"decided_by": "M. le préfet", "synergi_ref": "SYN-1"}
    first = client.post(url, json=body, headers=auth(tokens["prefect"]))
    assert first.status_code == 201
    second = client.post(url, json=body, headers=auth(tokens["duty_officer"]))
    assert second.status_code == 409
    assert error_of(second)["message"].startswith("Le COD est déjà activé pour cet événement")
    journal = client.get(
        f"/api/v1/crises/{crisis['crisis_id']}/journal", headers=auth(tokens["auditor"])
    )
    assert [e["kind"] for e in journal.json()["entries"]].count("refused.ActivateCod") == 1


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        (
            {"decided_by": "préfet", "synergi_ref": "S", "decided_at": "2030-01-01T00:00:00+01:00"},
            "decided_at",
            "futur",
        ),
        (
            {"decided_by": "préfet", "synergi_ref": "S", "decided_at": "2026-11-28T21:00:00"},
            "decided_at",
            "décalage horaire",
        ),
        (
            {"decided_by": "préfet", "synergi_ref": "S", "decided_at": "hier soir"},
            "decided_at",
            "ISO 8601",
        ),
        ({"decided_by": "préfet"}, "synergi_ref", "SYNERGI est obligatoire"),
        ({"decided_by": "", "synergi_ref": "S"}, "decided_by", "vide"),
        ({"synergi_ref": "S"}, "decided_by", "champ obligatoire"),
        ({"decided_by": "p", "synergi_ref": "S", "urgent": True}, "urgent", "champ inconnu"),
    ],
    ids=["future", "naive", "garbage", "no-synergi", "blank-by", "missing-by", "extra"],
)
def test_bad_activation_is_422_with_the_field_and_changes_nothing(
    client: TestClient, tokens: dict[str, str], body: dict[str, Any], field: str, reason: str
) -> None:
    crisis = open_crisis(client, tokens["duty_officer"])
    crisis_id = crisis["crisis_id"]
    before = client.get(
        f"/api/v1/crises/{crisis_id}/journal", headers=auth(tokens["auditor"])
    ).json()
    response = client.post(
        f"/api/v1/crises/{crisis_id}/cod-activation",
        json=body,
        headers=auth(tokens["duty_officer"]),
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert [f["field"] for f in error["fields"]] == [field]
    assert reason in error["fields"][0]["reason"]
    after_crisis = client.get(f"/api/v1/crises/{crisis_id}", headers=auth(tokens["auditor"])).json()
    assert after_crisis["state"] == "reported"
    assert after_crisis["clocks"] == []
    after = client.get(
        f"/api/v1/crises/{crisis_id}/journal", headers=auth(tokens["auditor"])
    ).json()
    assert after == before


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"kind": "inondation"}, "title", "champ obligatoire"),
        ({"title": "   ", "kind": "inondation"}, "title", "vide"),
        ({"title": "x", "kind": "seisme"}, "kind", "valeurs possibles"),
        ({"title": "x" * 201, "kind": "autre"}, "title", "200 caractères"),
        ({"title": "x", "kind": "autre", "exercise": "peut-être"}, "exercise", "vrai ou faux"),
        ({"title": "x", "kind": "autre", "communes": [""]}, "communes.0", "vide"),
    ],
    ids=["no-title", "blank-title", "unknown-kind", "long-title", "bad-bool", "blank-commune"],
)
def test_bad_crisis_is_422(
    client: TestClient, tokens: dict[str, str], body: dict[str, Any], field: str, reason: str
) -> None:
    response = client.post("/api/v1/crises", json=body, headers=auth(tokens["duty_officer"]))
    assert response.status_code == 422
    error = error_of(response)
    assert error["fields"][0]["field"] == field
    assert reason in error["fields"][0]["reason"]
    listing = client.get("/api/v1/crises", headers=auth(tokens["auditor"])).json()
    assert listing["crises"] == []


def test_malformed_json_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/crises",
        content=b"{title",
        headers=auth(tokens["duty_officer"], **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422
    error = error_of(response)
    # The body, and where in it: not the character offset posing as a field's name.
    assert error["message"] == "Requête invalide — corps : JSON invalide (caractère 2)."
    assert error["fields"] == [{"field": "corps", "reason": "JSON invalide (caractère 2)"}]


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("auditor", "post", "/api/v1/crises", OPEN_BODY),
        ("comm_cell", "post", "/api/v1/crises", OPEN_BODY),
        ("admin", "post", "/api/v1/crises", OPEN_BODY),
        ("comm_cell", "post", "/cod-activation", {"decided_by": "p", "synergi_ref": "S"}),
        ("auditor", "post", "/cod-activation", {"decided_by": "p", "synergi_ref": "S"}),
        ("duty_officer", "post", "/close", {"reason": "fin"}),
        ("comm_cell", "post", "/close", {"reason": "fin"}),
        ("auditor", "post", "/cell-operational", {}),
    ],
)
def test_least_privilege_matrix(
    client: TestClient,
    tokens: dict[str, str],
    role: str,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    crisis = open_crisis(client, tokens["duty_officer"], exercise=True)
    url = path if path.startswith("/api") else f"/api/v1/crises/{crisis['crisis_id']}{path}"
    response = client.request(method, url, json=body, headers=auth(tokens[role]))
    assert response.status_code == 403
    message = error_of(response)["message"]
    assert message.startswith(f"Votre rôle ({role_label(role)}) ne permet pas d")
    assert not re.search(r"\b[A-Z][a-z]+[A-Z]\w*\b|_", message), message  # no class, no code


def test_prefect_closes_and_a_closed_crisis_refuses_more(
    client: TestClient, tokens: dict[str, str]
) -> None:
    crisis = open_crisis(client, tokens["duty_officer"], exercise=True)
    url = f"/api/v1/crises/{crisis['crisis_id']}"
    closed = client.post(
        f"{url}/close", json={"reason": "Décrue constatée"}, headers=auth(tokens["prefect"])
    )
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    assert closed.json()["close_reason"] == "Décrue constatée"
    again = client.post(f"{url}/close", json={"reason": "encore"}, headers=auth(tokens["admin"]))
    assert again.status_code == 409
    assert "clos" in error_of(again)["message"]


def test_idempotency_key_replays_the_first_answer(
    client: TestClient, tokens: dict[str, str]
) -> None:
    headers = auth(tokens["duty_officer"], **{"Idempotency-Key": "tap-1"})
    first = client.post("/api/v1/crises", json=OPEN_BODY, headers=headers)
    second = client.post("/api/v1/crises", json=OPEN_BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(client.get("/api/v1/crises", headers=auth(tokens["auditor"])).json()["crises"]) == 1
    other = client.post("/api/v1/crises", json=OPEN_BODY | {"title": "Autre"}, headers=headers)
    assert other.status_code == 422
    assert "requête différente" in error_of(other)["message"]


def test_cell_and_deliveries_meet_their_clocks(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    decided = clock.now()
    crisis = open_crisis(
        client,
        tokens["duty_officer"],
        cod_activation={"decided_by": "préfet", "synergi_ref": "S-9"},
    )
    url = f"/api/v1/crises/{crisis['crisis_id']}"
    clock.advance(timedelta(minutes=35))
    cell = client.post(
        f"{url}/cell-operational",
        json={"note": "quorum atteint"},
        headers=auth(tokens["comm_cell"]),
    )
    assert cell.status_code == 200
    delivered = (decided + timedelta(minutes=20)).isoformat()
    recorded = client.post(
        f"{url}/deliveries",
        json={
            "audience": "elus",
            "delivered_at": delivered,
            "means": "appels aux maires",
            "recipients": "12 maires",
        },
        headers=auth(tokens["comm_cell"]),
    )
    assert recorded.status_code == 201
    assert recorded.json()["crisis_id"] == crisis["crisis_id"]
    clocks = {
        c["name"]: c
        for c in client.get(f"{url}/clocks", headers=auth(tokens["auditor"])).json()["clocks"]
    }
    assert clocks["cell"]["state"] == "met"
    assert clocks["cell"]["met_at"] == (decided + timedelta(minutes=35)).isoformat()
    assert clocks["elus"]["state"] == "met"
    assert clocks["elus"]["met_at"] == delivered
    assert clocks["media"]["state"] == clocks["public"]["state"] == "running"
    deliveries = client.get(f"{url}/deliveries", headers=auth(tokens["auditor"])).json()[
        "deliveries"
    ]
    assert [(d["audience"], d["means"]) for d in deliveries] == [("elus", "appels aux maires")]
    alerts = client.get(f"{url}/alerts", headers=auth(tokens["auditor"])).json()["alerts"]
    assert alerts == []
    verify = client.get(f"{url}/journal/verify", headers=auth(tokens["auditor"])).json()
    assert verify["ok"] is True
    assert verify["entries_checked"] == 13


def test_delivery_bad_input(client: TestClient, tokens: dict[str, str], clock: ManualClock) -> None:
    crisis = open_crisis(
        client, tokens["duty_officer"], cod_activation={"decided_by": "p", "synergi_ref": "S"}
    )
    url = f"/api/v1/crises/{crisis['crisis_id']}/deliveries"
    body = {"audience": "voisins", "delivered_at": clock.now().isoformat(), "means": "x"}
    response = client.post(url, json=body, headers=auth(tokens["comm_cell"]))
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "audience"
    early = {
        "audience": "media",
        "delivered_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "means": "x",
    }
    response = client.post(url, json=early, headers=auth(tokens["comm_cell"]))
    assert response.status_code == 422
    assert "antérieure" in error_of(response)["message"]


def test_listing_filters(client: TestClient, tokens: dict[str, str], clock: ManualClock) -> None:
    real = open_crisis(client, tokens["duty_officer"], title="Réel")
    clock.advance(timedelta(hours=1))
    drill = open_crisis(client, tokens["duty_officer"], title="Exercice", exercise=True)
    client.post(
        f"/api/v1/crises/{real['crisis_id']}/close",
        json={"reason": "fin"},
        headers=auth(tokens["prefect"]),
    )

    def titles(query: str) -> list[str]:
        body = client.get(f"/api/v1/crises?{query}", headers=auth(tokens["auditor"])).json()
        return [c["title"] for c in body["crises"]]

    assert titles("") == ["Exercice", "Réel"]
    assert titles("active=true") == ["Exercice"]
    assert titles("active=false") == ["Réel"]
    assert titles("exercise=true") == ["Exercice"]
    since = (clock.now() - timedelta(minutes=30)).isoformat().replace("+", "%2B")
    assert titles(f"from={since}") == ["Exercice"]
    assert titles(f"to={since}") == ["Réel"]
    assert drill["exercise"] is True
    # Only ISO 8601 instants: a number in the query string is no Unix timestamp to guess.
    for query in ("to=0.5", "from=1764000000", "to=2026", "from=0001-01-01T00:00:00%2B01:00"):
        refused = client.get(f"/api/v1/crises?{query}", headers=auth(tokens["auditor"]))
        assert refused.status_code == 422, query


def test_unknown_crisis_is_404(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/v1/crises/inconnu", headers=auth(tokens["auditor"]))
    assert response.status_code == 404
    assert "Aucun événement" in error_of(response)["message"]


BODYLESS_ACTIONS = ("/retry", "/submit", "/approve", "/send", "/reactivate")
# A POST that only computes (a template preview): every role may, so no 403.
READ_ONLY_POSTS = ("/preview",)


def test_openapi_documents_every_body_and_error(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if path in ("/healthz", "/readyz") or path.startswith(
            ("/public", "/ack/", "/telegram/", "/api/v1/sms/")
        ):
            # Unauthenticated by design: probes, signed links, the bot's secret header, the SMS
            # providers' delivery reports (a secret token in the address they are given).
            continue
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)
            if method != "post":
                continue
            if not path.endswith(BODYLESS_ACTIONS):
                assert "requestBody" in operation, path
            statuses = ("401", "422") if path.endswith(READ_ONLY_POSTS) else ("401", "403", "422")
            for status in statuses:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
            parameters = {p["name"] for p in operation.get("parameters", [])}
            assert "Idempotency-Key" in parameters, path


def test_instants_in_answers_carry_their_offset(client: TestClient, tokens: dict[str, str]) -> None:
    crisis = open_crisis(client, tokens["duty_officer"])
    assert datetime.fromisoformat(crisis["reported_at"]).utcoffset() == timedelta(0)


def test_a_likely_duplicate_is_409_naming_the_open_event_unless_distinct(
    client: TestClient, tokens: dict[str, str]
) -> None:
    """The console's rule (crisis.domain.duplicates), applied by the same handler."""
    first = open_crisis(client, tokens["duty_officer"])
    again = client.post(
        "/api/v1/crises",
        json=OPEN_BODY | {"title": "Crue de la Seine"},
        headers=auth(tokens["prefect"]),
    )
    assert again.status_code == 409
    error = error_of(again)
    assert error["code"] == "likely_duplicate"
    assert "Crue de la Seine à Corbeil-Essonnes" in error["message"]
    assert "« distinct »: true" in error["message"]
    [existing] = error["existing"]
    assert existing["crisis_id"] == first["crisis_id"]
    assert existing["reason"] == "même nature d'événement et titre proche"
    assert existing["created_by"] == "user-duty_officer"
    listing = client.get("/api/v1/crises", headers=auth(tokens["auditor"])).json()["crises"]
    assert [c["crisis_id"] for c in listing] == [first["crisis_id"]]
    # The refused attempt is on the existing event's journal, as from the console.
    journal = client.get(
        f"/api/v1/crises/{first['crisis_id']}/journal", headers=auth(tokens["auditor"])
    ).json()["entries"]
    assert journal[-1]["kind"] == "refused.OpenCrisis"
    distinct = open_crisis(client, tokens["prefect"], title="Crue de la Seine", distinct=True)
    assert distinct["crisis_id"] != first["crisis_id"]


def test_an_exercise_or_another_kind_is_no_duplicate(
    client: TestClient, tokens: dict[str, str]
) -> None:
    open_crisis(client, tokens["duty_officer"])
    open_crisis(client, tokens["duty_officer"], exercise=True)
    open_crisis(
        client, tokens["duty_officer"], title="Incendie de l'usine", kind="accident_industriel"
    )


def test_distinct_is_a_strict_boolean(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.post(
        "/api/v1/crises", json=OPEN_BODY | {"distinct": "oui"}, headers=auth(tokens["admin"])
    )
    assert answer.status_code in (403, 422)
    answer = client.post(
        "/api/v1/crises",
        json=OPEN_BODY | {"distinct": "oui"},
        headers=auth(tokens["duty_officer"]),
    )
    assert answer.status_code == 422
    assert error_of(answer)["fields"][0]["field"] == "distinct"


def test_close_as_opened_by_mistake_leaves_it_out_of_the_indicators(
    client: TestClient, tokens: dict[str, str]
) -> None:
    crisis = open_crisis(client, tokens["duty_officer"])
    url = f"/api/v1/crises/{crisis['crisis_id']}/close"
    body = {"reason": "doublon de la crue de l'Orge", "opened_by_mistake": True}
    closed = client.post(url, json=body, headers=auth(tokens["prefect"]))
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    assert closed.json()["opened_by_mistake"] is True
    journal = client.get(
        f"/api/v1/crises/{crisis['crisis_id']}/journal", headers=auth(tokens["auditor"])
    ).json()["entries"]
    closing = next(e for e in journal if e["kind"] == "event.CrisisClosed")
    assert closing["payload"]["opened_by_mistake"] is True
    report = client.get(
        f"/api/v1/crises/{crisis['crisis_id']}/report?format=md", headers=auth(tokens["auditor"])
    )
    assert "ouvert par erreur, exclu des indicateurs" in report.text
    day = crisis["reported_at"][:10]
    pack = client.get(
        f"/api/v1/indicators?du={day}&au={day}&format=json", headers=auth(tokens["auditor"])
    ).json()
    row = next(e for e in pack["events"] if e["crisis_id"] == crisis["crisis_id"])
    assert row["counted"] is False
    assert row["note"] == (
        "Ouvert par erreur : exclu des indicateurs (motif : doublon de la crue de l'Orge)."
    )
    other = open_crisis(client, tokens["duty_officer"], distinct=True)
    refused = client.post(
        f"/api/v1/crises/{other['crisis_id']}/close",
        json=body | {"opened_by_mistake": "oui"},
        headers=auth(tokens["prefect"]),
    )
    assert refused.status_code == 422
