"""`crisis indicateurs` writes files that name the service's préfecture on every page."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from crisis.settings import Settings
from tests.integration.cli.test_retex_indicators_cli import Invoke, run  # noqa: F401 (fixture)


def test_the_workbook_names_the_prefecture(run: Invoke, tmp_path: Path) -> None:  # noqa: F811
    target = tmp_path / "indicateurs.xlsx"
    code, _, err = run(
        "indicateurs",
        "--du",
        "2026-01-01",
        "--au",
        "2026-01-31",
        "--format",
        "xlsx",
        "--out",
        str(target),
    )
    assert code == 0, err
    header = openpyxl.load_workbook(target)["Indicateurs"].oddHeader
    assert header is not None
    assert header.left.text == Settings.model_fields["prefecture_name"].default
