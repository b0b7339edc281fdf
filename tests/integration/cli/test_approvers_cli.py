"""`crisis approvers set` and `list` through CliRunner, on both databases: the order, how each
approver is reached, and a clear refusal for a user without the right (nothing changed)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.cli.test_cli import Invoke, database_url, run

__all__ = ["database_url", "run"]  # the fixtures, shared with the main CLI tests


def test_set_then_list_the_approvers_and_refuse_a_user_without_the_right(
    run: Invoke, tmp_path: Path
) -> None:
    for name, role in (("Préfète", "prefect"), ("Dircab", "prefect"), ("Rédac", "comm_cell")):
        assert run("user", "add", name, "--role", role)[0] == 0
    directory = tmp_path / "annuaire.csv"
    directory.write_text(
        "nom;categorie;email;mobile;telegram;commune;fonction;exercice\n"
        "Anne Martin;cellule;prefete@prefecture.gouv.fr;06 10 00 00 01;;;Préfète;non\n",
        encoding="utf-8",
    )
    assert run("contacts", "import", str(directory))[0] == 0
    code, out, _ = run("approvers", "list")
    assert code == 0 and "Aucun valideur" in out

    code, out, err = run("approvers", "set", "Préfète=prefete@prefecture.gouv.fr", "Dircab")
    assert code == 0, err
    assert "Ordre d'appel enregistré : Préfète, Dircab." in out
    code, out, _ = run("approvers", "list")
    assert "1. Préfète — joint(e) comme Anne Martin : SMS, courriel, appel téléphonique" in out
    assert "2. Dircab — injoignable — à corriger : aucun moyen de le joindre" in out
    listed = json.loads(run("approvers", "list", "--json")[1])
    assert [line["user"] for line in listed] == ["Préfète", "Dircab"]

    code, _, err = run("approvers", "set", "Rédac")
    assert code != 0
    assert "Rédac" in err and "n'a pas le droit de valider" in err
    assert [line["user"] for line in json.loads(run("approvers", "list", "--json")[1])] == [
        "Préfète",
        "Dircab",
    ]
    code, out, _ = run("approvers", "set")
    assert code == 0 and "plus aucun valideur" in out
