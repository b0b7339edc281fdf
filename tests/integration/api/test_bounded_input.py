"""Hostile or careless requests: each gets a clear 4xx in the one error shape, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.reporting.svg import MAX_TICKS
from tests.integration.api.conftest import auth


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}
    error: dict[str, Any] = body["error"]
    return error


def _crisis(client: TestClient, token: str, **extra: Any) -> Any:
    body = {"title": "Crue de l’Orge", "kind": "inondation", **extra}
    return client.post("/api/v1/crises", json=body, headers=auth(token))


@pytest.mark.parametrize("after", ["9223372036854775808", "2147483648", "-1"])
def test_journal_position_out_of_range_is_422(
    client: TestClient, tokens: dict[str, str], after: str
) -> None:
    crisis_id = _crisis(client, tokens["duty_officer"]).json()["crisis_id"]
    response = client.get(
        f"/api/v1/crises/{crisis_id}/journal",
        params={"after": after},
        headers=auth(tokens["auditor"]),
    )
    assert response.status_code == 422
    assert _error(response)["fields"][0]["field"] == "after"


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("\u200b\u200b\u200b", "vide"),
        ("Crue\x00", "U+0000"),
        ("Crue\x07", "U+0007"),
        ("Crue\x1b[31m", "U+001B"),
        ("Crue\r\nde la Seine", "U+000D"),
        ("Crue \u202eeniеS", "U+202E"),
    ],
    ids=["zero-width", "nul", "bel", "esc", "crlf", "rtl-override"],
)
def test_invisible_or_control_characters_in_a_title_are_refused(
    client: TestClient, tokens: dict[str, str], title: str, reason: str
) -> None:
    response = client.post(
        "/api/v1/crises",
        json={"title": title, "kind": "inondation"},
        headers=auth(tokens["duty_officer"]),
    )
    assert response.status_code == 422
    error = _error(response)
    assert error["fields"][0]["field"] == "title"
    assert reason in error["fields"][0]["reason"]
    assert client.get("/api/v1/crises", headers=auth(tokens["auditor"])).json()["crises"] == []


def test_nul_in_decided_by_and_in_a_drill_name_is_422(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = _crisis(
        client,
        tokens["duty_officer"],
        cod_activation={"decided_by": "M. le préfet\x00", "synergi_ref": "S-1"},
    )
    assert response.status_code == 422
    assert _error(response)["fields"][0]["field"] == "cod_activation.decided_by"
    schedule = {"name": "Exercice\x00", "scenario": "crue-seine", "rrule": "FREQ=MONTHLY"}
    response = client.post(
        "/api/v1/drills/schedules", json=schedule, headers=auth(tokens["duty_officer"])
    )
    assert response.status_code == 422
    assert _error(response)["fields"][0]["field"] == "name"


def test_message_bodies_keep_their_line_breaks(client: TestClient, tokens: dict[str, str]) -> None:
    crisis_id = _crisis(client, tokens["duty_officer"], exercise=True).json()["crisis_id"]
    body = {"audiences": ["public"], "texts": {"default": "Crue.\nÉvitez les berges."}}
    response = client.post(
        f"/api/v1/crises/{crisis_id}/messages", json=body, headers=auth(tokens["comm_cell"])
    )
    assert response.status_code in (201, 202), response.text
    body["texts"] = {"default": "Crue.\x00"}
    response = client.post(
        f"/api/v1/crises/{crisis_id}/messages", json=body, headers=auth(tokens["comm_cell"])
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"exercise": "yes"}, "exercise"),
        ({"exercise": 1}, "exercise"),
        ({"reported_at": 1764368100}, "reported_at"),
        ({"cod_activation": {"decided_by": "P", "decided_at": 1764368100}}, "decided_at"),
    ],
    ids=["exercise-yes", "exercise-1", "reported-at-number", "decided-at-number"],
)
def test_no_silent_coercion(
    client: TestClient, tokens: dict[str, str], extra: dict[str, Any], field: str
) -> None:
    response = _crisis(client, tokens["duty_officer"], **extra)
    assert response.status_code == 422
    assert _error(response)["fields"][0]["field"].endswith(field)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("token", ["x.%C3%A9", "%00", "a" * 600, "x.y"])
def test_malformed_acknowledgement_links_answer_a_french_404_page(
    client: TestClient, method: str, token: str
) -> None:
    response = client.request(method, f"/ack/{token}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Lien invalide" in response.text


def test_authorisation_is_decided_before_the_input(
    client: TestClient, tokens: dict[str, str]
) -> None:
    schedule = {"name": "x", "scenario": "../../etc/passwd", "rrule": "FREQ=MONTHLY"}
    for role in ("auditor", "comm_cell", "prefect"):
        response = client.post(
            "/api/v1/drills/schedules", json=schedule, headers=auth(tokens[role])
        )
        assert response.status_code == 403, role
        assert _error(response)["code"] == "forbidden"
    response = client.post("/api/v1/crises", content=b"{not json", headers=auth(tokens["auditor"]))
    assert response.status_code == 403


def test_a_body_over_the_limit_is_413_before_parsing(
    client: TestClient, tokens: dict[str, str]
) -> None:
    huge = b'{"title": "' + b"a" * 50_000_000 + b'", "kind": "inondation"}'
    response = client.post(
        "/api/v1/crises",
        content=huge,
        headers=auth(tokens["duty_officer"], **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 413
    assert _error(response)["code"] == "too_large"
    communes = ["c" * 20_000 for _ in range(500)]
    response = _crisis(client, tokens["duty_officer"], communes=communes)
    assert response.status_code == 413


def test_a_streamed_body_over_the_limit_is_413(client: TestClient, tokens: dict[str, str]) -> None:
    def chunks() -> Any:
        for _ in range(30):
            yield b"a" * 100_000

    response = client.post(
        "/api/v1/crises",
        content=chunks(),
        headers=auth(tokens["duty_officer"], **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 413


def test_long_lists_and_texts_are_422_with_their_limit(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = _crisis(client, tokens["duty_officer"], communes=["Évry"] * 501)
    assert response.status_code == 422
    assert "500 au plus" in _error(response)["fields"][0]["reason"]


@pytest.mark.parametrize(
    "content",
    [b'{"title": "\xff\xfe", "kind": "inondation"}', b"[" * 100_000 + b"]" * 100_000],
    ids=["invalid-utf8", "deeply-nested"],
)
def test_unreadable_bodies_get_the_error_shape(
    client: TestClient, tokens: dict[str, str], content: bytes
) -> None:
    response = client.post(
        "/api/v1/crises",
        content=content,
        headers=auth(tokens["duty_officer"], **{"Content-Type": "application/json"}),
    )
    assert response.status_code in (400, 422)
    _error(response)


def test_unknown_routes_and_methods_get_the_error_shape(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = client.get("/api/v1/nulle-part", headers=auth(tokens["auditor"]))
    assert response.status_code == 404
    assert _error(response)["message"] == "Adresse inconnue."
    response = client.delete("/api/v1/crises", headers=auth(tokens["auditor"]))
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_openapi_documents_limits_errors_and_media_types(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    create = spec["paths"]["/api/v1/crises"]["post"]
    assert {"400", "413", "422"} <= set(create["responses"])
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == error_ref
    crisis = spec["components"]["schemas"]["CrisisCreate"]["properties"]
    assert crisis["title"]["maxLength"] == 200
    assert crisis["communes"]["maxItems"] == 500
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    paths = spec["paths"]
    assert set(paths["/public/feed.atom"]["get"]["responses"]["200"]["content"]) == {
        "application/atom+xml"
    }
    assert set(paths["/public/feed.json"]["get"]["responses"]["200"]["content"]) == {
        "application/feed+json"
    }
    assert json.dumps(paths["/ack/{token}"]["get"]["responses"]["404"]).count("text/html") == 1


@pytest.mark.parametrize(
    ("decided_at", "reason"),
    [
        ("0001-01-01T00:00:00+00:00", "plage"),
        ("0001-01-01T00:00:00+01:00", "plage"),
        ("9999-12-31T23:59:59-01:00", "plage"),
        ("2026-11-20T21:00:00+00:00", "plus de 7 jours"),
        ("2026-11-28T22:00:00+00:00", "futur"),
    ],
    ids=["year-1", "year-1-offset", "year-9999", "eight-days", "future"],
)
def test_implausible_decision_instants_are_422(
    client: TestClient, tokens: dict[str, str], decided_at: str, reason: str
) -> None:
    # The clock of the tests reads 2026-11-28T21:15Z.
    activation = {"decided_by": "M. le préfet", "decided_at": decided_at}
    response = _crisis(client, tokens["duty_officer"], exercise=True, cod_activation=activation)
    assert response.status_code == 422, response.text
    error = _error(response)
    assert error["fields"][0]["field"].endswith("decided_at")
    assert reason in error["fields"][0]["reason"]
    assert client.get("/api/v1/crises", headers=auth(tokens["auditor"])).json()["crises"] == []


def test_an_operator_can_enter_an_older_event_and_its_report_stays_small(
    service: Service, tokens: dict[str, str]
) -> None:
    service.settings.max_backdate_days = 400  # what CRISIS_MAX_BACKDATE_DAYS=400 gives
    client = TestClient(create_app(service))
    activation = {"decided_by": "M. le préfet", "decided_at": "2025-12-01T08:00:00+01:00"}
    response = _crisis(client, tokens["duty_officer"], exercise=True, cod_activation=activation)
    assert response.status_code == 201, response.text
    crisis_id = response.json()["crisis_id"]
    delivery = {
        "audience": "elus",
        "delivered_at": "2026-11-28T21:00:00+00:00",
        "means": "appels",
    }
    response = client.post(
        f"/api/v1/crises/{crisis_id}/deliveries", json=delivery, headers=auth(tokens["comm_cell"])
    )
    assert response.status_code == 201, response.text
    report = client.get(
        f"/api/v1/crises/{crisis_id}/report",
        params={"format": "html"},
        headers=auth(tokens["auditor"]),
    )
    assert report.status_code == 200
    assert report.text.count('stroke="#ddd"') <= MAX_TICKS + 1


def test_instants_before_the_decision_are_422(client: TestClient, tokens: dict[str, str]) -> None:
    activation = {"decided_by": "M. le préfet", "decided_at": "2026-11-28T21:00:00+00:00"}
    crisis_id = _crisis(
        client, tokens["duty_officer"], exercise=True, cod_activation=activation
    ).json()["crisis_id"]
    for path, body in (
        ("cell-operational", {"declared_at": "2026-11-28T20:00:00+00:00"}),
        (
            "deliveries",
            {"audience": "elus", "delivered_at": "2026-11-28T20:00:00+00:00", "means": "appels"},
        ),
    ):
        response = client.post(
            f"/api/v1/crises/{crisis_id}/{path}", json=body, headers=auth(tokens["comm_cell"])
        )
        assert response.status_code == 422, path


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/api/v1/contacts/import", "nom;categorie;email\nMaire\x00;elu;maire@evry.fr\n"),
        (
            "/api/v1/oncall/roster/import",
            "nom;role;debut;fin\nClaire\x1b;redacteur;2026-11-28 08:00;2026-11-28 20:00\n",
        ),
    ],
    ids=["contacts", "roster"],
)
def test_control_characters_in_an_uploaded_file_are_refused(
    client: TestClient, tokens: dict[str, str], path: str, content: str
) -> None:
    response = client.post(
        path,
        content=content.encode(),
        headers=auth(tokens["comm_cell"], **{"Content-Type": "text/csv"}),
    )
    assert response.status_code == 422, response.text
    assert "caractère de contrôle interdit" in response.text
