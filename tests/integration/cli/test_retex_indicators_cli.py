"""`crisis retex` and `crisis indicateurs` on both databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from crisis.cli import app
from crisis.cli.support import EXIT_BROKEN_CHAIN
from crisis.clock import PARIS
from tests.integration.indicators.seeded_year import tamper

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


def test_a_broken_chain_writes_the_pack_then_exits_with_its_own_code(
    run: Invoke, engine: Engine, tmp_path: Path
) -> None:
    code, out, _ = run(
        "activate", "--title", "Accident", "--kind", "autre", "--synergi", "SYN-91-7", "--json"
    )
    assert code == 0
    crisis_id = json.loads(out)["crisis_id"]
    decided = json.loads(run("status", crisis_id, "--json")[1])["cod_activated_at"]
    today = datetime.fromisoformat(decided).astimezone(PARIS).date().isoformat()
    assert run("indicateurs", "--du", today, "--au", today)[0] == 0
    tamper(engine, crisis_id)
    target = tmp_path / "indicateurs.json"
    code, out, err = run("indicateurs", "--du", today, "--au", today, "--out", str(target))
    assert code == EXIT_BROKEN_CHAIN == 6
    assert "Indicateurs écrits" in out
    assert f"Chaîne du journal rompue : {crisis_id}, à l'entrée n° 2" in err
    (row,) = json.loads(target.read_text("utf-8"))["events"]
    assert (row["crisis_id"], row["note"]) == (crisis_id, "Chaîne rompue : exclu.")
    # On the standard output too: the pack first, then the code.
    code, out, _ = run("indicateurs", "--du", today, "--au", today, "--format", "csv")
    assert code == 6
    assert "Chaîne rompue : exclu." in out


def test_a_drill_played_from_the_command_line_counts_in_commitment_49(run: Invoke) -> None:
    code, out, err = run("drill", "play", "crue-seine", "--by", "cadre")
    assert code == 0, err
    assert "Exercice lancé" in out and "Rapports :" in out
    assert "information des élus" in out
    today = datetime.now(PARIS).date()
    code, out, _ = run(
        "indicateurs", "--du", (today - timedelta(days=1)).isoformat(), "--au", today.isoformat()
    )
    assert code == 0
    programme = json.loads(out)["commitments"]["49"]
    assert (programme["planned"], programme["held"]) == (0, 0)
    assert (programme["unplanned_held"], programme["on_demand_held"]) == (1, 1)
    (played,) = programme["occurrences"]
    assert (played["on_demand"], played["status"]) == (True, "held")
    assert [s["kind"] for s in played["sources"]] == [
        "event.DrillRunStarted",
        "command.RecordDrillRun",
    ]


PROGRAMME_ENTRY = (
    *("drill", "schedule", "add", "Lointain"),
    *("--scenario", "crue-seine", "--cron", "0 10 * * lun"),
)


@pytest.mark.parametrize(
    "args",
    [
        ("indicateurs", "--du", "0001-01-01", "--au", "2026-01-31"),
        ("indicateurs", "--du", "2026-01-01", "--au", "9999-12-31"),
        *(
            (*PROGRAMME_ENTRY, "--start", start)
            for start in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00")
        ),
    ],
)
def test_a_day_out_of_the_service_era_is_a_french_error(run: Invoke, args: tuple[str, ...]) -> None:
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert "Date hors des bornes : entre le 1er janvier 2000 et le 31 décembre 2099." in err
    assert "Traceback" not in out + err and "OverflowError" not in out + err
