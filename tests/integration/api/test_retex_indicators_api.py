"""The RETEX over the API, shown in the timing report; the indicators pack over the API;
on both databases."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import CloseCrisis
from crisis.services.context import SYSTEM_ACTOR
from tests.integration.api.conftest import auth
from tests.integration.store.test_journal import open_and_activate

ACTION: dict[str, Any] = {
    "description": "Second compte d'accès au site",
    "owner": "SIDPC",
    "due_date": "2027-01-31",
}
RETEX: dict[str, Any] = {
    "worked": "La cellule s'est réunie en 20 minutes.",
    "did_not_work": "Le site internet a été mis à jour tard.",
    "actions": [ACTION],
}


def test_retex_is_recorded_after_closing_edited_and_shown_in_the_report(
    service: Service, client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    crisis_id = open_and_activate(service)
    cell = auth(tokens["comm_cell"])
    url = f"/api/v1/crises/{crisis_id}/retex"
    answer = client.post(url, json=RETEX, headers=cell)
    assert answer.status_code == 409
    assert "n'est pas clos" in answer.json()["error"]["message"]
    service.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="décrue"), actor=SYSTEM_ACTOR)
    assert client.get(url, headers=cell).status_code == 404
    assert client.post(url, json=RETEX, headers=auth(tokens["auditor"])).status_code == 403
    empty = client.post(url, json={}, headers=cell)
    assert empty.status_code == 422
    assert empty.json()["error"]["fields"][0]["field"] == "worked"
    bad_state = {**RETEX, "actions": [{**ACTION, "state": "oubliée"}]}
    assert client.post(url, json=bad_state, headers=cell).status_code == 422
    answer = client.post(url, json=RETEX, headers=cell)
    assert answer.status_code == 200, answer.text
    first = answer.json()
    assert (first["version"], first["recorded_by"]) == (1, "user-comm_cell")
    (action,) = first["actions"]
    assert (action["state"], action["state_label"]) == ("a_faire", "à faire")
    # Move the action along, then edit the RETEX keeping the action by its identifier.
    clock.advance(timedelta(days=3))
    action_url = f"{url}/actions/{action['action_id']}"
    done = client.post(action_url, json={"state": "faite"}, headers=cell).json()
    assert done["actions"][0]["state"] == "faite"
    assert done["actions"][0]["done_at"] == clock.now().isoformat()
    assert (
        client.post(f"{url}/actions/inconnue", json={"state": "faite"}, headers=cell).status_code
        == 404
    )
    edited = {**RETEX, "worked": "Réunion en 20 minutes ; bon relais des maires."}
    edited["actions"] = [{**ACTION, "action_id": action["action_id"], "state": "faite"}]
    second = client.post(url, json=edited, headers=cell).json()
    assert second["version"] == 2
    assert second["actions"][0]["done_at"] == done["actions"][0]["done_at"]  # kept, not moved
    unknown = {**RETEX, "actions": [{**ACTION, "action_id": "autre"}]}
    assert client.post(url, json=unknown, headers=cell).status_code == 422
    report = client.get(f"/api/v1/crises/{crisis_id}/report", headers=cell).json()
    assert report["retex"]["worked"] == edited["worked"]
    kinds = [e["kind"] for e in report["chronology"]]
    assert kinds.count("event.RetexRecorded") == 2
    assert kinds.count("event.RetexActionUpdated") == 1
    html = client.get(f"/api/v1/crises/{crisis_id}/report?format=html", headers=cell).text
    assert "Retour d&#39;expérience (RETEX)" in html
    assert "Second compte d&#39;accès au site" in html


def test_indicators_over_the_api(
    service: Service, client: TestClient, tokens: dict[str, str]
) -> None:
    open_and_activate(service)
    reader = auth(tokens["auditor"])
    answer = client.get("/api/v1/indicators?du=2026-11-01&au=2026-11-30", headers=reader)
    assert answer.status_code == 200
    data = answer.json()
    assert data["period"]["from"] == "2026-11-01"
    assert data["commitments"]["47"]["running"] == 1
    assert len(data["events"]) == 1
    workbook = client.get(
        "/api/v1/indicators?du=2026-11-01&au=2026-11-30&format=xlsx", headers=reader
    )
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames[0] == "Indicateurs"
    backwards = client.get("/api/v1/indicators?du=2026-12-01&au=2026-11-30", headers=reader)
    assert backwards.status_code == 422
    assert backwards.json()["error"]["fields"][0]["field"] == "au"
    bad = client.get("/api/v1/indicators?du=2026-13-01&au=2026-11-30", headers=reader)
    assert bad.status_code == 422
    assert "AAAA-MM-JJ" in bad.json()["error"]["fields"][0]["reason"]
    assert client.get("/api/v1/indicators?du=2026-11-01&au=2026-11-30").status_code == 401
    for du, au, field in (
        ("0001-01-01", "0001-01-01", "du"),
        ("9999-12-31", "9999-12-31", "du"),
        ("2026-01-01", "9999-12-31", "au"),
    ):
        far = client.get(f"/api/v1/indicators?du={du}&au={au}", headers=reader)
        assert far.status_code == 422, far.text
        assert far.json()["error"]["fields"][0] == {
            "field": field,
            "reason": "Date hors des bornes : entre le 1er janvier 2000 et le 31 décembre 2099.",
        }
    schema = client.get("/api/v1/indicators/schema", headers=reader).json()
    assert schema["title"] == "Indicateurs Qual-e-Pref (module 7)"


def test_days_are_iso_days_of_the_service_era(
    service: Service, client: TestClient, tokens: dict[str, str]
) -> None:
    """A Unix timestamp or a date with its time is no day; a RETEX due date in year 1 or 9999
    is refused like a period there (French 422 naming the field), and nothing is recorded."""
    reader = auth(tokens["auditor"])
    for du in ("1767225600", "0.5", "2026-01-01T00:00", "20260101"):
        refused = client.get(f"/api/v1/indicators?du={du}&au=2026-01-31", headers=reader)
        assert refused.status_code == 422, du
        assert refused.json()["error"]["fields"] == [
            {"field": "du", "reason": "date invalide (AAAA-MM-JJ attendu, ex. 2026-11-28)"}
        ]
    crisis_id = open_and_activate(service)
    service.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="décrue"), actor=SYSTEM_ACTOR)
    url = f"/api/v1/crises/{crisis_id}/retex"
    cell = auth(tokens["comm_cell"])
    for due, reason in (
        (1767225600, "date invalide (AAAA-MM-JJ attendu, ex. 2026-11-28)"),
        ("0001-01-01", "Date hors des bornes : entre le 1er janvier 2000 et le 31 décembre 2099."),
        ("9999-12-31", "Date hors des bornes : entre le 1er janvier 2000 et le 31 décembre 2099."),
    ):
        refused = client.post(
            url, json={**RETEX, "actions": [{**ACTION, "due_date": due}]}, headers=cell
        )
        assert refused.status_code == 422, due
        (field,) = refused.json()["error"]["fields"]
        assert field["field"] in ("actions.0.due_date", "actions[0].due_date"), field
        assert field["reason"] == reason
    assert client.get(url, headers=cell).status_code == 404  # nothing recorded
