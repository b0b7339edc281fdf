"""The files of the indicators pack name the préfecture at the head of their pages."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient
from pdfminer.high_level import extract_text

from crisis.bootstrap import Service
from tests.integration.web.test_indicateurs_page import auditor, period  # noqa: F401 (fixture)

NAME = "Préfecture de l'Essonne"  # the console's service, tests/integration/web/conftest.py


def test_the_console_s_files_name_the_prefecture(auditor: TestClient, service: Service) -> None:  # noqa: F811
    assert service.settings.prefecture_name == NAME
    workbook = auditor.get(f"/indicateurs/indicateurs.xlsx{period(service)}")
    header = openpyxl.load_workbook(io.BytesIO(workbook.content))["Indicateurs"].oddHeader
    assert header is not None
    assert header.left.text == NAME
    pdf = auditor.get(f"/indicateurs/indicateurs.pdf{period(service)}")
    assert f"{NAME} — Indicateurs Qual-e-Pref, module 7" in extract_text(io.BytesIO(pdf.content))
