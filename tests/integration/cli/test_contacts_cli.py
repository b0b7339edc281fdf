"""`crisis contacts` on a temporary SQLite file: import, exit codes, list, named lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.cli import app

HEADER = "nom;categorie;email;mobile;telegram;commune;fonction;exercice"
GOOD = (
    HEADER,
    "Jean Dupont;elu;jean.dupont@evry.fr;06 12 34 56 78;;Évry-Courcouronnes;Maire;oui",
    "Le Parisien;media;redaction@leparisien.fr;;;Paris;;non",
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    created = {"CRISIS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    assert run(created, "db", "upgrade")[0] == 0
    return created


def write(tmp_path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "annuaire.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_import_then_list(tmp_path: Path, env: dict[str, str]) -> None:
    code, out, _ = run(env, "contacts", "import", str(write(tmp_path, *GOOD)))
    assert code == 0
    assert out == (
        "Fichier « annuaire.csv » importé : 2 créés, 0 mis à jour, 0 inchangé, 0 ligne ignorée.\n"
    )
    code, out, _ = run(env, "contacts", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [(c["name"], c["category"], c["mobile"], c["exercise"]) for c in listed] == [
        ("Jean Dupont", "elu", "+33612345678", True),
        ("Le Parisien", "media", None, False),
    ]
    code, out, _ = run(env, "contacts", "list", "--category", "media", "--json")
    assert [c["name"] for c in json.loads(out)] == ["Le Parisien"]


def test_reimport_reports_unchanged_in_json(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, *GOOD)
    run(env, "contacts", "import", str(path))
    code, out, _ = run(env, "contacts", "import", str(path), "--json")
    assert code == 0
    report = json.loads(out)
    assert {k: report[k] for k in ("imported", "created", "updated", "unchanged", "skipped")} == {
        "imported": True,
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "skipped": 0,
    }


def test_invalid_file_imports_nothing_and_exits_2(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, *GOOD, "Erreur;elu;;06 12;;;;", "Autre;elu;x@;;;;;")
    code, out, err = run(env, "contacts", "import", str(path))
    assert code == 2
    assert out == ""
    assert err == (
        "Erreur : le fichier « annuaire.csv » n'a pas été importé.\n"
        "  ligne 4 : mobile « 06 12 » invalide\n"
        "  ligne 5 : e-mail « x@ » invalide\n"
    )
    code, out, _ = run(env, "contacts", "list", "--json")
    assert json.loads(out) == []


def test_invalid_file_in_json(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, *GOOD, "Erreur;elu;;06 12;;;;")
    code, out, _ = run(env, "contacts", "import", str(path), "--json")
    assert code == 2
    assert json.loads(out)["errors"] == [
        {"line": 4, "field": "mobile", "reason": "mobile « 06 12 » invalide"}
    ]


def test_skip_invalid_imports_the_rest_and_exits_0(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, *GOOD, "Erreur;elu;;06 12;;;;")
    code, out, _ = run(env, "contacts", "import", str(path), "--skip-invalid")
    assert code == 0
    assert out == (
        "Fichier « annuaire.csv » importé : 2 créés, 0 mis à jour, 0 inchangé, "
        "1 ligne ignorée.\n"
        "  ignorée — ligne 4 : mobile « 06 12 » invalide\n"
    )


def test_missing_column_and_missing_file(tmp_path: Path, env: dict[str, str]) -> None:
    code, _, err = run(
        env, "contacts", "import", str(write(tmp_path, "nom;email", "A;a@x.fr")), "--skip-invalid"
    )
    assert code == 2
    assert "colonnes obligatoires absentes : categorie, mobile, telegram, commune" in err
    code, _, err = run(env, "contacts", "import", str(tmp_path / "absent.csv"))
    assert code == 2
    assert err.startswith("Erreur : impossible de lire le fichier")


def test_named_lists(tmp_path: Path, env: dict[str, str]) -> None:
    run(env, "contacts", "import", str(write(tmp_path, *GOOD)))
    code, out, _ = run(env, "contacts", "lists", "create", "Maires des communes inondées")
    assert code == 0
    assert out.startswith("Liste « Maires des communes inondées » créée (")
    code, out, _ = run(
        env, "contacts", "lists", "add", "maires des communes inondees", "06.12.34.56.78"
    )
    assert (code, out) == (0, "Liste « Maires des communes inondées » : 1 contact ajouté.\n")
    code, out, _ = run(env, "contacts", "lists", "show", "Maires des communes inondées", "--json")
    assert [c["name"] for c in json.loads(out)["contacts"]] == ["Jean Dupont"]
    code, out, _ = run(
        env, "contacts", "lists", "remove", "Maires des communes inondées", "jean.dupont@evry.fr"
    )
    assert (code, out) == (0, "Liste « Maires des communes inondées » : 1 contact retiré.\n")
    code, out, _ = run(env, "contacts", "lists", "show", "Maires des communes inondées")
    assert out == "Liste « Maires des communes inondées » : 0 contact.\n"


def test_list_errors_exit_codes(tmp_path: Path, env: dict[str, str]) -> None:
    run(env, "contacts", "import", str(write(tmp_path, *GOOD)))
    assert run(env, "contacts", "lists", "show", "nope")[0] == 4
    run(env, "contacts", "lists", "create", "L")
    assert run(env, "contacts", "lists", "create", "l")[0] == 3
    code, _, err = run(env, "contacts", "lists", "add", "L", "inconnu@x.fr")
    assert code == 4
    assert err == "Erreur : Aucun contact ne correspond à « inconnu@x.fr ».\n"


def test_deactivate_then_reactivate_a_contact(tmp_path: Path, env: dict[str, str]) -> None:
    run(env, "contacts", "import", str(write(tmp_path, *GOOD)))
    code, out, _ = run(
        env, "contacts", "deactivate", "jean.dupont@evry.fr", "--reason", "fin de mandat"
    )
    assert (code, out) == (0, "Contact « Jean Dupont » désactivé : il ne recevra plus rien.\n")
    code, _, err = run(env, "contacts", "deactivate", "jean.dupont@evry.fr")
    assert code == 3
    assert "Le contact « Jean Dupont » est déjà inactif." in err
    code, out, _ = run(env, "contacts", "list")
    assert "Jean Dupont" in out and "[exercices] [inactif]" in out
    code, out, _ = run(env, "contacts", "list", "--state", "actifs", "--json")
    assert [c["name"] for c in json.loads(out)] == ["Le Parisien"]
    code, out, _ = run(env, "contacts", "list", "--state", "inactifs", "--json")
    assert [(c["name"], c["active"]) for c in json.loads(out)] == [("Jean Dupont", False)]
    code, _, err = run(env, "contacts", "list", "--state", "certains")
    assert code == 2 and "--state attend actifs, inactifs ou tous" in err
    code, out, _ = run(env, "contacts", "reactivate", "06 12 34 56 78")
    assert (code, out) == (0, "Contact « Jean Dupont » réactivé.\n")
    code, _, err = run(env, "contacts", "reactivate", "personne@nulle-part.fr")
    assert code == 4 and "Aucun contact ne correspond à « personne@nulle-part.fr »." in err
