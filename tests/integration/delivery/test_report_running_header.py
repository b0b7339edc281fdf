"""The timing report's PDF names a drill « EXERCICE — … » in its running header, once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.reporting.render import ReportFormat, render
from tests.integration.delivery.conftest import Fakes
from tests.integration.delivery.test_report import report_of, run_small_scenario

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils absent")


def test_a_drill_report_header_says_exercice_once(
    service: Service, fakes: Fakes, clock: ManualClock, tmp_path: Path
) -> None:
    report = report_of(service, run_small_scenario(service, clock))
    titled = report.model_copy(update={"title": "Exercice — crue de la Seine à Corbeil"})
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(render(titled, ReportFormat.PDF))
    first_page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "EXERCICE — crue de la Seine à Corbeil" in first_page
    assert "Exercice — Exercice" not in first_page
    assert "EXERCICE — Exercice" not in first_page
