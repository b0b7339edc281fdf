"""`crisis messages` on both databases: compose, submit, self-approval refused, approve,
reject with a reason, show; French output and --json."""

from __future__ import annotations

import json

from tests.integration.cli.test_cli import Invoke, activated_crisis, database_url, run

__all__ = ["database_url", "run"]


def test_compose_submit_and_approve_from_the_command_line(run: Invoke) -> None:
    crisis_id = activated_crisis(run)
    code, out, err = run(
        "messages", "compose", crisis_id, "--template", "information_elus", "--audience", "elus",
        "--example", "--by", "cellule", "--json",
    )  # fmt: skip
    assert code == 0, err
    draft = json.loads(out)
    assert (draft["state"], draft["created_by"]) == ("draft", "cellule")
    draft_id = draft["draft_id"]
    code, out, _ = run("messages", "submit", draft_id, "--by", "cellule")
    assert code == 0
    assert out.startswith(f"Message préparé {draft_id} : soumis à validation")
    code, _, err = run("messages", "approve", draft_id, "--by", "cellule")
    assert code == 3
    assert "Vous ne pouvez pas valider un message que vous avez rédigé" in err
    code, out, err = run("messages", "approve", draft_id, "--by", "directeur de cabinet")
    assert code == 0, err
    assert "validé par directeur de cabinet" in out
    code, out, _ = run("messages", "show", draft_id, "--json")
    assert json.loads(out)["decided_by"] == "directeur de cabinet"
    code, _, err = run("messages", "reject", draft_id, "--reason", "non", "--by", "préfet")
    assert code == 3
    code, _, err = run("messages", "show", "inconnu")
    assert code == 4


def test_an_unknown_template_or_version_reads_as_an_error_with_example_values_too(
    run: Invoke,
) -> None:
    """`--example` reads the template's own examples first: the same words as with
    --vars, no traceback, nothing written."""
    crisis_id = activated_crisis(run)
    for template, version, expected in (
        ("inconnu", [], "Erreur : template : Modèle de message inconnu : « inconnu »."),
        (
            "information_elus",
            ["--version", "9"],
            "Erreur : template : Modèle de message inconnu : « information_elus » en version 9.",
        ),
    ):
        code, out, err = run(
            "messages", "compose", crisis_id, "--template", template, *version,
            "--audience", "elus", "--example",
        )  # fmt: skip
        assert (code, out) == (2, "")
        assert err.strip() == expected
        assert "Traceback" not in err
