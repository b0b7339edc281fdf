"""`crisis oncall`, `crisis callout` and `crisis cip` through CliRunner, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.integration.cli.test_cli import Invoke, database_url, run

__all__ = ["database_url", "run"]  # the fixtures, shared with the main CLI tests

PARIS = ZoneInfo("Europe/Paris")


def french(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def test_oncall_now_on_an_empty_roster_is_an_empty_list(run: Invoke) -> None:
    code, out, err = run("oncall", "now", "--json")
    assert code == 0, err
    assert json.loads(out) == []
    code, out, _ = run("oncall", "now")
    assert "Personne n'est d'astreinte" in out


def test_import_is_all_or_nothing_with_line_numbers_then_now_lists_the_cell(
    run: Invoke, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    start, end = french(now - timedelta(hours=1)), french(now + timedelta(hours=8))
    bad = tmp_path / "astreinte-fausse.csv"
    bad.write_text(
        "Nom;Rôle;Début;Fin;E-mail\n"
        f"Claire Chef;chef_de_cellule;{start};{end};claire@prefecture.gouv.fr\n"
        f"Rémi Rédac;cuisinier;{start};{end};remi@prefecture.gouv.fr\n"
        f"Sarah Réseaux;charge_reseaux_sociaux;demain;{end};pas-une-adresse\n",
        encoding="utf-8",
    )
    code, _, err = run("oncall", "import", str(bad))
    assert code == 2
    assert "ligne 3 : rôle inconnu « cuisinier »" in err
    assert "ligne 4 : début « demain » invalide" in err
    assert "ligne 4 : e-mail « pas-une-adresse » invalide" in err
    assert "Rien n'a été importé" in err
    assert json.loads(run("oncall", "now", "--json")[1]) == []

    good = tmp_path / "astreinte.csv"
    good.write_bytes(
        (
            "nom;role;debut;fin;email;mobile;telegram\r\n"
            f"Claire Chef;Chef de cellule;{start};{end};claire@prefecture.gouv.fr;;\r\n"
            f"Rémi Rédac;rédacteur;{start};{end};;06 12 34 56 78;\r\n"
        ).encode("cp1252")
    )
    code, out, err = run("oncall", "import", str(good), "--json")
    assert code == 0, err
    assert json.loads(out)["shifts"] == 2
    code, out, err = run("oncall", "now", "--json")
    assert [(i["role"], i["name"]) for i in json.loads(out)] == [
        ("chef_de_cellule", "Claire Chef"),
        ("redacteur", "Rémi Rédac"),
    ]
    code, out, err = run("oncall", "bind-code", "Claire Chef")
    assert code == 0, err
    assert "/start " in out
    assert run("oncall", "bind-code", "Inconnu")[0] == 4


def test_callout_and_cip_commands(run: Invoke, tmp_path: Path) -> None:
    code, out, err = run(
        "activate", "--title", "Crue", "--kind", "inondation", "--exercise", "--json"
    )
    assert code == 0, err
    crisis_id = json.loads(out)["crisis_id"]
    code, _, err = run("callout", crisis_id)
    assert code == 3
    assert "Aucun membre d'astreinte" in err

    code, _, err = run("cip", "activate", crisis_id, "--nu", "12", "--by", "M. le préfet")
    assert code == 2
    assert "numero_unique" in err and "n'est pas un numéro de téléphone français valide" in err
    code, out, err = run(
        "cip", "activate", crisis_id, "--nu", "0169919191", "--by", "M. le préfet", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["numero_unique"] == "01 69 91 91 91"
    code, out, err = run("status", crisis_id, "--json")
    assert [c["name"] for c in json.loads(out)["clocks"]] == [
        "cell",
        "elus",
        "public",
        "media",
        "cip",
    ]
    code, out, err = run("cip", "operational", crisis_id, "--json")
    assert code == 0, err
    assert json.loads(out)["operational_at"] is not None
    code, out, err = run("cip", "deactivate", crisis_id, "--reason", "Fin", "--json")
    assert code == 0, err
    assert json.loads(out)["deactivation_reason"] == "Fin"
    assert run("cip", "deactivate", crisis_id, "--reason", "Fin")[0] == 3
