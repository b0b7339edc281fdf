"""The `crisis` command on both databases: activate, status, users, audit, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from crisis.cli import app


@pytest.fixture
def database_url(engine: Engine, request: pytest.FixtureRequest) -> str:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        _, schema = request.getfixturevalue("postgres_schema_url")
        url += f"?options=-csearch_path%3D{schema}"
    return url


Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(database_url: str) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args), env={"CRISIS_DATABASE_URL": database_url})
        return result.exit_code, result.stdout, result.stderr

    return invoke


def activated_crisis(run: Invoke) -> str:
    """A real event with its COD activated, by the CLI; its id."""
    code, out, err = run(
        "activate", "--title", "Crue de l'Orge", "--kind", "inondation", "--synergi", "SYN-1",
        "--by", "préfet", "--json",
    )  # fmt: skip
    assert code == 0, err
    crisis_id: str = json.loads(out)["crisis_id"]
    return crisis_id


def test_activate_shows_four_running_clocks_sixty_minutes_after_the_decision(run: Invoke) -> None:
    decided = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)
    code, out, err = run(
        "activate",
        "--title",
        "Crue de l'Orge",
        "--kind",
        "inondation",
        "--synergi",
        "SYN-91-7",
        "--decided-at",
        decided.isoformat(),
        "--by",
        "M. le préfet",
        "--commune",
        "Juvisy-sur-Orge",
        "--json",
    )
    assert code == 0, err
    crisis_id = json.loads(out)["crisis_id"]
    code, out, _ = run("status", crisis_id, "--json")
    assert code == 0
    status = json.loads(out)
    assert set(status) == {"crisis_id", "exercise", "state", "cod_activated_at", "clocks"}
    assert status["state"] == "cod_active"
    assert status["exercise"] is False
    assert status["cod_activated_at"] == decided.isoformat()
    deadline = (decided + timedelta(minutes=60)).isoformat()
    assert [c["name"] for c in status["clocks"]] == ["cell", "elus", "public", "media"]
    for clock in status["clocks"]:
        assert set(clock) == {
            "name",
            "target_minutes",
            "deadline",
            "state",
            "met_at",
            "breached_at",
        }
        assert (clock["target_minutes"], clock["deadline"], clock["state"]) == (
            60,
            deadline,
            "running",
        )
        assert datetime.fromisoformat(clock["deadline"]).utcoffset() is not None
    code, out, _ = run("status", crisis_id)
    assert "COD activé le" in out
    assert "information des élus : en cours" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--synergi", "S", "--decided-at", "2099-01-01T00:00:00+01:00"], "futur"),
        (["--synergi", "S", "--decided-at", "2026-11-28T21:00:00"], "décalage horaire"),
        (["--synergi", "S", "--decided-at", "ce soir"], "ISO 8601"),
        ([], "SYNERGI est obligatoire"),
    ],
    ids=["future", "naive", "garbage", "no-synergi"],
)
def test_bad_activation_exits_2_with_a_french_message_and_writes_nothing(
    run: Invoke, args: list[str], message: str
) -> None:
    code, _, err = run("activate", "--title", "Crue", "--kind", "inondation", *args)
    assert code == 2
    assert message in err
    assert err.startswith("Erreur : ")
    code, out, _ = run("list", "--json")
    assert json.loads(out) == []


def test_unknown_kind_is_refused(run: Invoke) -> None:
    code, _, err = run("activate", "--title", "Crue", "--kind", "seisme", "--exercise")
    assert code == 2
    assert "seisme" in err


def test_exercise_without_synergi_and_closing(run: Invoke) -> None:
    code, out, _ = run(
        "activate", "--title", "Exercice tempête", "--kind", "tempete", "--exercise", "--json"
    )
    assert code == 0
    crisis_id = json.loads(out)["crisis_id"]
    code, out, _ = run("cell-operational", crisis_id, "--note", "quorum", "--json")
    assert code == 0
    assert json.loads(out)["clocks"][0]["state"] == "met"
    code, out, _ = run("close", crisis_id, "--reason", "Fin de l'exercice")
    assert code == 0
    assert "Événement clos." in out
    code, _, err = run("close", crisis_id, "--reason", "encore")
    assert code == 3
    assert "clos" in err


def test_user_add_prints_the_token_once_and_refuses_duplicates(run: Invoke) -> None:
    code, out, _ = run("user", "add", "Alice Martin", "--role", "duty_officer", "--json")
    assert code == 0
    created = json.loads(out)
    assert created["role"] == "duty_officer"
    assert len(created["token"]) >= 40
    code, out, _ = run("user", "list", "--json")
    assert json.loads(out) == [{"name": "Alice Martin", "role": "duty_officer", "active": True}]
    assert created["token"] not in out
    code, _, err = run("user", "add", "Alice Martin", "--role", "auditor")
    assert code == 3
    assert "existe déjà" in err
    code, _, err = run("user", "add", "Bob", "--role", "chef")
    assert code == 2
    assert "Rôle inconnu « chef »" in err


def test_user_add_with_the_email_of_a_proconnect_identity(run: Invoke, engine: Engine) -> None:
    code, _, _ = run("user", "add", "Claire", "--role", "prefect", "--email", "Claire@Pref.gouv.fr")
    assert code == 0
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT email FROM users WHERE name = 'Claire'"))
        assert stored.scalar_one() == "claire@pref.gouv.fr"
    code, _, err = run("user", "add", "Bob", "--role", "auditor", "--email", "pas-une-adresse")
    assert code == 2
    assert "n'est pas une adresse électronique" in err


def test_audit_verify_passes_then_names_the_tampered_entry(run: Invoke, engine: Engine) -> None:
    code, out, _ = run(
        "activate",
        "--title",
        "Accident",
        "--kind",
        "accident_industriel",
        "--synergi",
        "S",
        "--json",
    )
    crisis_id = json.loads(out)["crisis_id"]
    code, out, _ = run("audit", "verify", crisis_id)
    assert code == 0
    assert "chaîne intacte (7 entrées)" in out
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE journal SET actor = 'quelqu''un' WHERE stream = :s AND seq = 4"),
            {"s": crisis_id},
        )
    code, out, _ = run("audit", "verify", crisis_id)
    assert code == 1
    assert "CHAÎNE ROMPUE à l'entrée n° 4" in out
    code, out, _ = run("audit", "verify", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert {s["stream"]: s["first_broken_seq"] for s in report["streams"]} == {crisis_id: 4}


def test_status_of_unknown_crisis_exits_4(run: Invoke) -> None:
    code, _, err = run("status", "inconnu", "--json")
    assert code == 4
    assert "Aucun événement" in err


def test_python_m_crisis_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crisis", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "activate" in result.stdout


def test_journal_reads_each_entry_by_its_french_label(run: Invoke) -> None:
    code, out, err = run(
        "activate", "--title", "Crue de l'Orge", "--kind", "inondation", "--exercise", "--json"
    )
    assert code == 0, err
    crisis_id = json.loads(out)["crisis_id"]
    code, out, err = run("journal", crisis_id)
    assert code == 0, err
    assert "Ouverture de l'événement" in out
    assert "Horloge lancée — information des élus : échéance " in out
    assert "command." not in out and "event." not in out and "OpenCrisis" not in out
