"""The installed `crisis` command, as a person runs it: its version, its framework's messages
and the settings' errors in French, no database made by accident, nothing loaded that the
command does not need (the start-up times themselves: `benchmarks/cli_startup.py`)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import crisis
from crisis.cli.lazy import load
from crisis.cli.table import COMMANDS
from tests.integration.delivery.test_french_everywhere import ENGLISH, offending

CRISIS = Path(sys.executable).with_name("crisis")  # the console script pip installed


def installed(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    if not CRISIS.exists():
        pytest.fail(f"{CRISIS} absent : « pip install -e . » installe la commande crisis")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")}
    return subprocess.run(
        [str(CRISIS), *args],
        cwd=cwd,
        env={**clean, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    done = installed("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"crisis {crisis.__version__}\n")


def test_the_frameworks_messages_are_french_through_the_installed_command(
    tmp_path: Path,
) -> None:
    missing_option = installed("activate", "--title", "Crue", cwd=tmp_path)
    assert missing_option.returncode == 2
    assert "Erreur : Option obligatoire manquante : '--kind'. Valeurs possibles : inondation, " in (
        missing_option.stderr
    )
    unknown = installed("activer", cwd=tmp_path)
    assert "Erreur : Commande inconnue : 'activer'." in unknown.stderr
    missing_argument = installed("status", cwd=tmp_path)
    assert "Erreur : Argument obligatoire manquant : 'CRISIS_ID'." in missing_argument.stderr
    bad_value = installed("serve", "--port", "huit", cwd=tmp_path)
    assert "Valeur invalide pour '--port' : nombre entier attendu" in bad_value.stderr
    for done in (missing_option, unknown, missing_argument, bad_value):
        assert done.returncode == 2
        assert "Utilisation : crisis " in done.stderr and "Aide : crisis " in done.stderr
        assert not offending(done.stderr, ENGLISH), done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("CRISIS_CELL_TARGET_MINUTES", "soixante", "CRISIS_CELL_TARGET_MINUTES : nombre entier"),
        ("CRISIS_COMMUNES", "Évry, Massy", "CRISIS_COMMUNES : valeur JSON attendue"),
        ("CRISIS_ONCALL_BACKUPS", "{redacteur", "CRISIS_ONCALL_BACKUPS : valeur JSON attendue"),
    ],
)
def test_a_wrong_setting_is_said_in_french_through_the_installed_command(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    done = installed("list", cwd=tmp_path, **{variable: value})
    assert done.returncode == 2
    assert done.stderr.startswith("Erreur : Réglages invalides — ")
    assert said in done.stderr
    assert "Traceback" not in done.stderr and not offending(done.stderr, ENGLISH)


def test_a_command_in_an_empty_folder_creates_no_database(tmp_path: Path) -> None:
    done = installed("list", cwd=tmp_path)
    assert done.returncode == 4
    sought = tmp_path.resolve() / "data" / "crisis.sqlite3"
    assert f"pas de base de données ici : {sought} n'existe pas" in done.stderr
    assert "crisis db upgrade" in done.stderr
    assert list(tmp_path.iterdir()) == []  # neither the file nor its folder


def test_an_empty_database_is_not_migrated_by_accident(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "crisis.sqlite3").touch()
    done = installed("status", "e1", cwd=tmp_path)
    assert done.returncode == 4
    assert "est vide" in done.stderr
    assert (
        not sqlite3.connect(tmp_path / "data" / "crisis.sqlite3")
        .execute("SELECT name FROM sqlite_master")
        .fetchall()
    )
    created = installed("db", "upgrade", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    listed = installed("list", cwd=tmp_path)
    assert (listed.returncode, listed.stdout) == (0, "Aucun événement.\n")


PROBE = """
import sys
from crisis.cli import main
sys.argv = ["crisis", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = ("sqlalchemy", "pydantic_settings", "rich", "crisis.bootstrap", "crisis.services.bus")
print(sorted(m for m in heavy if m in sys.modules), sorted(m for m in sys.modules if m.startswith("crisis.cli.")))
"""


def loaded_by(*args: str) -> str:
    return (
        subprocess.run(
            [sys.executable, "-c", PROBE, *args],
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")},
        )
        .stdout.strip()
        .splitlines()[-1]
    )


def test_the_root_help_loads_no_command() -> None:
    assert loaded_by("--help") == (
        "[] ['crisis.cli.app', 'crisis.cli.french', 'crisis.cli.lazy', 'crisis.cli.support', "
        "'crisis.cli.table']"
    )


def test_a_commands_help_loads_its_module_only() -> None:
    shown = loaded_by("status", "--help")
    assert shown.startswith("[] ") and "'crisis.cli.events'" in shown
    assert "'crisis.cli.messages'" not in shown and "'crisis.cli.oncall'" not in shown


def test_the_table_says_what_each_command_says() -> None:
    """Each line of `crisis --help` opens its command's own help; each command loads."""
    for entry in COMMANDS:
        command = load(entry.name)
        assert command is not None and command.name == entry.name
        own = " ".join((command.help or "").split())
        assert own.startswith(entry.summary.removesuffix(".")), (entry.name, own)
