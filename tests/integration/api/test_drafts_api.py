"""Prepared messages and templates through the API, on both databases: variables, limits,
injection attempts, custom templates, preview, approval rules, French dates across DST."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisis.services.context import Actor
from crisis.settings import Settings
from crisis.templating import TemplateRegistry
from tests.integration.api.conftest import auth

OFFICER = Actor(name="cadre", role="duty_officer")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)  # every audience needs the préfet's approval


def examples(name: str, **changes: Any) -> dict[str, Any]:
    values = TemplateRegistry.with_bundled().get(name).manifest.examples()
    values.update(changes)
    return values


def compose(client: TestClient, token: str, crisis_id: str, **body: Any) -> Any:  # the response
    payload: dict[str, Any] = {
        "template": "information_elus",
        "variables": examples("information_elus"),
        "audiences": ["elus"],
    }
    payload.update(body)
    return client.post(f"/api/v1/crises/{crisis_id}/drafts", json=payload, headers=auth(token))


def fields(response: Any) -> list[str]:
    return [f["field"] for f in response.json()["error"]["fields"]]


def test_roles_compose_and_approve(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    assert compose(client, tokens["auditor"], crisis_id).status_code == 403
    for role in ("comm_cell", "duty_officer", "prefect"):
        assert compose(client, tokens[role], crisis_id).status_code == 201
    draft_id = compose(client, tokens["comm_cell"], crisis_id).json()["draft_id"]
    base = f"/api/v1/crises/{crisis_id}/drafts/{draft_id}"
    assert client.post(f"{base}/submit", headers=auth(tokens["comm_cell"])).status_code == 200
    for role in ("comm_cell", "duty_officer", "auditor", "admin"):
        assert client.post(f"{base}/approve", headers=auth(tokens[role])).status_code == 403
        rejected = client.post(f"{base}/reject", json={"reason": "non"}, headers=auth(tokens[role]))
        assert rejected.status_code == 403
    listed = client.get(f"/api/v1/crises/{crisis_id}/drafts", headers=auth(tokens["auditor"]))
    assert len(listed.json()["drafts"]) == 4
    submitted = client.get(
        f"/api/v1/crises/{crisis_id}/drafts?state=submitted", headers=auth(tokens["auditor"])
    )
    assert [d["draft_id"] for d in submitted.json()["drafts"]] == [draft_id]


def test_rejection_needs_a_reason_and_a_rejected_draft_can_be_corrected(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    cell, prefect = tokens["comm_cell"], tokens["prefect"]
    draft_id = compose(client, cell, crisis_id).json()["draft_id"]
    base = f"/api/v1/crises/{crisis_id}/drafts/{draft_id}"
    assert (
        client.post(f"{base}/reject", json={"reason": "x"}, headers=auth(prefect)).status_code
        == 409
    )
    client.post(f"{base}/submit", headers=auth(cell))
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        answer = client.post(f"{base}/reject", json=body, headers=auth(prefect))
        assert answer.status_code == 422, body
        assert fields(answer) == ["reason"]
    rejected = client.post(
        f"{base}/reject", json={"reason": "Préciser les communes."}, headers=auth(prefect)
    )
    assert rejected.status_code == 200
    assert (rejected.json()["state"], rejected.json()["rejection_reason"]) == (
        "rejected",
        "Préciser les communes.",
    )
    assert client.post(f"{base}/send", headers=auth(cell)).status_code == 409
    corrected = client.put(
        base,
        json={
            "variables": examples("information_elus", communes=["Corbeil-Essonnes"]),
            "audiences": ["elus"],
        },
        headers=auth(cell),
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["state"] == "draft"
    assert "Corbeil-Essonnes." in corrected.json()["texts"]["email_text"]


def test_missing_and_unknown_variables_are_named(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    values = examples("information_elus", couleur="rouge")
    del values["situation"]
    answer = compose(client, tokens["comm_cell"], crisis_id, variables=values)
    assert answer.status_code == 422
    message = answer.json()["error"]["message"]
    assert "variable(s) manquante(s) : situation" in message
    assert "variable(s) inconnue(s) : couleur" in message
    only_missing = examples("information_elus")
    del only_missing["contact"]
    answer = compose(client, tokens["comm_cell"], crisis_id, variables=only_missing)
    assert fields(answer) == ["variables.contact"]
    unknown = compose(client, tokens["comm_cell"], crisis_id, template="inconnu")
    assert (unknown.status_code, fields(unknown)) == (422, ["template"])
    wrong_audience = compose(client, tokens["comm_cell"], crisis_id, audiences=["public"])
    assert wrong_audience.status_code == 422
    assert "il ne convient pas à : public" in wrong_audience.json()["error"]["message"]
    internal = compose(client, tokens["comm_cell"], crisis_id, template="appel_cellule")
    assert internal.status_code == 422


def test_a_variant_that_does_not_fit_is_named_with_its_excess(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    long = "incendie " * 50
    answer = compose(
        client,
        tokens["comm_cell"],
        crisis_id,
        variables=examples("information_elus", evenement=long.strip()),
    )
    assert answer.status_code == 422
    assert fields(answer) == ["variants.sms"]
    assert "La variante sms dépasse la limite de" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
        "<script>alert('x')</script>",
        "{{ config }}",
    ],
)
def test_injection_in_variables_is_inert_text(
    client: TestClient, tokens: dict[str, str], crisis_id: str, payload: str
) -> None:
    answer = compose(
        client,
        tokens["comm_cell"],
        crisis_id,
        variables=examples("information_elus", situation=payload),
    )
    assert answer.status_code == 201, answer.text
    texts = answer.json()["texts"]
    assert payload in texts["email_text"]  # printed as typed, never evaluated
    assert "<class" not in texts["email_text"]
    assert "<script>" not in texts["email_html"]
    if "<script>" in payload:
        assert "&lt;script&gt;" in texts["email_html"]


def custom(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "manifest": {
            "title": "Coupure d'eau potable",
            "description": "Information sur une coupure d'eau potable.",
            "audiences": ["public", "elus"],
            "variants": ["sms", "telegram", "email_html"],
            "variables": [
                {
                    "name": "commune",
                    "type": "str",
                    "description": "Commune privée d'eau.",
                    "example": "Massy",
                }
            ],
        },
        "sources": {
            "sms": "Coupure d'eau à {{ commune }}.",
            "telegram": "Coupure d'eau potable à {{ commune }}.",
            "email_html": "<p>Coupure d'eau à {{ commune }}.</p>",
        },
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ commune.__class__.__mro__ }}",
        "{{ commune|attr('__class__') }}",
        "{% include 'autre' %}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ inconnue }}",
        "{{ 'x' * 100000 }}",
    ],
)
def test_custom_template_escapes_are_refused(
    client: TestClient, tokens: dict[str, str], source: str
) -> None:
    body = custom()
    body["sources"]["sms"] = source
    answer = client.post(
        "/api/v1/templates/coupure_eau/versions", json=body, headers=auth(tokens["comm_cell"])
    )
    assert answer.status_code == 422, answer.text
    assert "est refusé" in answer.json()["error"]["message"]
    assert (
        client.get("/api/v1/templates/coupure_eau", headers=auth(tokens["comm_cell"])).status_code
        == 404
    )


def test_custom_templates_are_versioned_and_bundled_ones_read_only(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    cell = tokens["comm_cell"]
    url = "/api/v1/templates/coupure_eau/versions"
    assert client.post(url, json=custom(), headers=auth(tokens["prefect"])).status_code == 403
    first = client.post(url, json=custom(), headers=auth(cell, **{"Idempotency-Key": "t1"}))
    assert (first.status_code, first.json()) == (201, {"name": "coupure_eau", "version": 1})
    body = custom()
    body["sources"]["sms"] = "Eau coupée à {{ commune }} : ne buvez pas l'eau du robinet."
    second = client.post(url, json=body, headers=auth(cell))
    assert second.json() == {"name": "coupure_eau", "version": 2}
    read = client.get("/api/v1/templates/coupure_eau", headers=auth(tokens["auditor"])).json()
    assert (read["version"], read["versions"], read["origin"]) == (2, [1, 2], "custom")
    assert read["sources"]["sms"].startswith("Eau coupée")
    names = [
        t["name"] for t in client.get("/api/v1/templates", headers=auth(cell)).json()["templates"]
    ]
    assert "coupure_eau" in names and "alerte_population" in names

    older = compose(
        client,
        cell,
        crisis_id,
        template="coupure_eau",
        version=1,
        variables={"commune": "Massy"},
        audiences=["public"],
    )
    assert older.status_code == 201, older.text
    assert (older.json()["template_version"], older.json()["texts"]["sms"]) == (
        1,
        "Coupure d'eau à Massy.",
    )
    bundled = client.post(
        "/api/v1/templates/alerte_population/versions", json=custom(), headers=auth(cell)
    )
    assert bundled.status_code == 409
    assert "fourni avec le service" in bundled.json()["error"]["message"]
    too_long = custom()
    too_long["sources"]["sms"] = "{{ commune }} " + "é" * 500
    refused = client.post(url, json=too_long, headers=auth(cell))
    assert refused.status_code == 422
    assert "La variante sms dépasse la limite" in refused.json()["error"]["message"]


def test_preview_has_the_cli_shape(client: TestClient, tokens: dict[str, str]) -> None:
    token = tokens["auditor"]
    url = "/api/v1/templates/alerte_population/preview"
    answer = client.post(url, json={"example": True, "channels": ["sms"]}, headers=auth(token))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert set(data) == {"template", "version", "variants"}
    (sms,) = data["variants"]
    assert {"channel", "text", "length", "limit", "fits", "segments", "encoding"} <= set(sms)
    assert sms["channel"] == "sms" and sms["fits"] is True
    marked = client.post(url, json={"example": True, "exercise": True}, headers=auth(token))
    assert all(
        v["text"].startswith("EXERCICE") or v["channel"] == "email_html"
        for v in marked.json()["variants"]
    )
    missing = client.post(url, json={"variables": {}}, headers=auth(token))
    assert missing.status_code == 422
    assert "variable(s) manquante(s)" in missing.json()["error"]["message"]
    neither = client.post(url, json={}, headers=auth(token))
    assert neither.status_code == 422
    unknown = client.post(
        "/api/v1/templates/rien/preview", json={"example": True}, headers=auth(token)
    )
    assert unknown.status_code == 404
    detail = client.get("/api/v1/templates/alerte_population", headers=auth(token)).json()
    assert detail["audiences"] == ["public"] and detail["origin"] == "bundled"
    assert {v["name"] for v in detail["variables"]} >= {"consigne_courte"}


def test_french_dates_across_the_dst_change(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    # The night of 24 to 25 October 2026: 3 h (summer time) becomes 2 h (winter time).
    answer = compose(
        client,
        tokens["comm_cell"],
        crisis_id,
        variables=examples(
            "information_elus",
            survenu_le="2026-10-25T00:30:00Z",  # 2 h 30, summer time
            prochain_point="2026-10-25T02:30:00Z",  # 3 h 30, winter time
        ),
    )
    assert answer.status_code == 201, answer.text
    text = answer.json()["texts"]["email_text"]
    assert "dimanche 25 octobre 2026 à 2 h 30" in text
    assert "Un nouveau point vous sera adressé le dimanche 25 octobre 2026 à 3 h 30." in text
    assert answer.json()["variables"]["survenu_le"] == "2026-10-25T00:30:00Z"


def test_update_must_reference_a_sent_message(
    client: TestClient, tokens: dict[str, str], crisis_id: str
) -> None:
    answer = compose(
        client, tokens["comm_cell"], crisis_id, msg_type="cancel", references_id="nope"
    )
    assert (answer.status_code, fields(answer)) == (422, ["references_id"])


def test_openapi_documents_the_errors(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    approve = paths["/api/v1/crises/{crisis_id}/drafts/{draft_id}/approve"]["post"]
    assert {"401", "403", "404", "409", "422"} <= set(approve["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in approve["parameters"])
    direct = paths["/api/v1/crises/{crisis_id}/messages"]["post"]
    assert "202" in direct["responses"]
