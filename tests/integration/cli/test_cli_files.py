"""Files the CLI cannot read or write: a French sentence naming the file and why, exit code 2,
never a traceback; an output folder that cannot be made is refused before a drill runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli.test_cli import Invoke, activated_crisis, database_url, run

__all__ = ["database_url", "run"]

NOT_A_FOLDER = "(un élément du chemin n'est pas un dossier)"


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A path under a plain file: no one, root included, can create anything there."""
    file = tmp_path / "fichier"
    file.write_text("déjà là", encoding="utf-8")
    return file / "sous-dossier"


def test_outputs_that_cannot_be_written_are_named_with_the_reason(
    run: Invoke, blocked: Path
) -> None:
    crisis_id = activated_crisis(run)
    for args, target in (
        (["report", crisis_id, "--format", "md", "--out"], blocked / "rapport.md"),
        (
            ["indicateurs", "--du", "2026-01-01", "--au", "2026-12-31", "--format", "csv", "--out"],
            blocked / "indicateurs.csv",
        ),
        (["journal", "export", "--out"], blocked / "journal.jsonl"),
        (["drill", "schedule", "ical", "--out"], blocked / "exercices.ics"),
    ):
        code, out, err = run(*args, str(target))
        assert (code, out) == (2, ""), (args, err)
        assert err.strip() == f"Erreur : impossible d'écrire {target} {NOT_A_FOLDER}"


def test_an_output_file_s_missing_folders_are_made(run: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "archives" / "2026" / "journal.jsonl"
    code, _, err = run("journal", "export", "--out", str(target))
    assert code == 0, err
    assert target.exists()


def test_a_drill_s_report_folder_is_refused_before_the_drill_is_played(
    run: Invoke, blocked: Path
) -> None:
    code, out, err = run("drill", "run", "crue-seine", "--out", str(blocked))
    assert code == 2
    assert err.strip() == f"Erreur : impossible de créer le dossier {blocked} {NOT_A_FOLDER}"
    assert "Exercice" not in out  # no progress bar: nothing was played


def test_inputs_that_cannot_be_read_are_named_with_the_reason(run: Invoke, tmp_path: Path) -> None:
    missing, folder = tmp_path / "absent.csv", tmp_path
    for args, expected in (
        (
            ["contacts", "import", str(missing)],
            f"impossible de lire le fichier {missing} (fichier ou dossier introuvable)",
        ),
        (
            ["contacts", "import", str(folder)],
            f"impossible de lire le fichier {folder} (c'est un dossier)",
        ),
        (
            ["templates", "render", "point_situation", "--vars", str(missing)],
            f"impossible de lire le fichier de variables {missing} "
            "(fichier ou dossier introuvable)",
        ),
        (
            ["audit", "verify", "--file", str(missing)],
            f"impossible de lire le fichier {missing} (fichier ou dossier introuvable)",
        ),
    ):
        code, _, err = run(*args)
        assert (code, err.strip()) == (2, f"Erreur : {expected}"), args


def test_a_variables_file_that_is_not_utf8_is_named(run: Invoke, tmp_path: Path) -> None:
    latin1 = tmp_path / "variables.yaml"
    latin1.write_bytes("commune: Orléans\n".encode("latin-1"))
    code, _, err = run("templates", "render", "point_situation", "--vars", str(latin1))
    assert (code, err.strip()) == (
        2,
        f"Erreur : le fichier de variables {latin1} n'est pas un texte UTF-8",
    )


def test_a_file_that_is_not_a_journal_export_is_named_not_a_traceback(
    run: Invoke, tmp_path: Path
) -> None:
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(bytes(range(128, 256)))
    code, _, err = run("audit", "verify", "--file", str(binary))
    assert (code, err.strip()) == (
        2,
        f"Erreur : {binary} n'est pas un export du journal (texte UTF-8 attendu)",
    )


def test_a_scenario_file_that_cannot_be_read_says_why_in_french(
    run: Invoke, tmp_path: Path
) -> None:
    binary = tmp_path / "scenario.yaml"
    binary.write_bytes(bytes(range(128, 256)))
    for path, why in ((tmp_path, "c'est un dossier"), (binary, "texte UTF-8 attendu")):
        code, _, err = run("drill", "validate", str(path))
        assert (code, err.strip()) == (2, f"Erreur : {path} : fichier illisible ({why})")
