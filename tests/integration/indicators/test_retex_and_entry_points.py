"""The RETEX over the API and the CLI, shown in the timing report; the indicators pack over
the API and the CLI; both on both databases."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.cli import app
from crisis.clock import PARIS, ManualClock
from crisis.domain.commands import AddUser, CloseCrisis, CodDecision, OpenCrisis
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.services.roles import Role

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u-officer")
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


@pytest.fixture
def tokens(service: Service) -> dict[str, str]:
    found: dict[str, str] = {}
    for role in Role:
        result = service.bus.handle(
            AddUser(name=f"user-{role.value}", role=role.value), actor=SYSTEM_ACTOR
        )
        found[role.value] = result["token"]
    return found


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(create_app(service))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_event(service: Service) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de l'Yerres",
            kind=CrisisKind.INONDATION,
            exercise=False,
            communes=("Yerres",),
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-7"),
        ),
        actor=OFFICER,
    )
    return crisis_id


def test_retex_is_recorded_after_closing_edited_and_shown_in_the_report(
    service: Service, client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    crisis_id = open_event(service)
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
    assert "Retour d'expérience (RETEX)" in html
    assert "Second compte d&#39;accès au site" in html


def test_indicators_over_the_api(
    service: Service, client: TestClient, tokens: dict[str, str]
) -> None:
    open_event(service)
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
    schema = client.get("/api/v1/indicators/schema", headers=reader).json()
    assert schema["title"] == "Indicateurs Qual-e-Pref (module 7)"


Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(engine: Engine, request: pytest.FixtureRequest, tmp_path: Path) -> Invoke:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        _, schema = request.getfixturevalue("postgres_schema_url")
        url += f"?options=-csearch_path%3D{schema}"
    runner = CliRunner()
    env = {"CRISIS_DATABASE_URL": url, "CRISIS_DATA_DIR": str(tmp_path)}

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args), env=env)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_retex_and_indicators_from_the_command_line(run: Invoke, tmp_path: Path) -> None:
    code, out, _ = run(
        "activate", "--title", "Tempête", "--kind", "tempete", "--synergi", "SYN-91-9", "--json"
    )
    assert code == 0
    crisis_id = json.loads(out)["crisis_id"]
    code, _, err = run("retex", "record", crisis_id, "--fonctionne", "Tout")
    assert code == 3
    assert "n'est pas clos" in err
    assert run("close", crisis_id, "--reason", "Fin")[0] == 0
    code, _, err = run("retex", "record", crisis_id, "--action", "sans échéance")
    assert code == 2
    assert "--action" in err
    code, out, _ = run(
        "retex",
        "record",
        crisis_id,
        "--fonctionne",
        "Alerte rapide",
        "--a-ameliorer",
        "Communiqué tardif",
        "--action",
        "Revoir le modèle de communiqué ; Cabinet ; 2027-02-28",
        "--json",
    )
    assert code == 0, out
    action_id = json.loads(out)["actions"][0]["action_id"]
    code, out, _ = run("retex", "action", crisis_id, action_id, "--etat", "en_cours")
    assert code == 0
    assert "[en cours] Revoir le modèle de communiqué — Cabinet, échéance 28/02/2027" in out
    edit = tmp_path / "retex.json"
    code, out, _ = run("retex", "show", crisis_id, "--json")
    shown = json.loads(out)
    shown["actions"][0]["state"] = "faite"
    edit.write_text(json.dumps(shown), "utf-8")
    code, out, _ = run("retex", "record", crisis_id, "--fichier", str(edit), "--json")
    assert code == 0
    assert json.loads(out)["version"] == 2
    decided = json.loads(run("status", crisis_id, "--json")[1])["cod_activated_at"]
    today = datetime.fromisoformat(decided).astimezone(PARIS).date().isoformat()
    code, out, _ = run("indicateurs", "--du", today, "--au", today)
    assert code == 0
    data = json.loads(out)
    assert [e["crisis_id"] for e in data["events"]] == [crisis_id]
    assert data["events"][0]["retex_recorded"] is True
    target = tmp_path / "indicateurs.xlsx"
    code, out, _ = run(
        "indicateurs", "--du", today, "--au", today, "--format", "xlsx", "--out", str(target)
    )
    assert code == 0
    assert "Indicateurs écrits" in out
    assert openpyxl.load_workbook(target).sheetnames[1] == "Événements"
    code, _, err = run("indicateurs", "--du", today, "--au", today, "--format", "pdf")
    assert code == 2
    assert "--out" in err
    code, _, err = run("indicateurs", "--du", "2026-02-30", "--au", today)
    assert code == 2
    assert "--du" in err
