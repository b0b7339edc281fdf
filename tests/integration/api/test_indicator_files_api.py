"""The indicators files of the API name the service's préfecture at the head of their pages."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient
from pdfminer.high_level import extract_text

from crisis.bootstrap import Service
from tests.integration.api.conftest import auth
from tests.integration.store.test_journal import open_and_activate

PERIOD = "du=2026-11-01&au=2026-11-30"


def test_the_workbook_and_the_pdf_name_the_prefecture(
    service: Service, client: TestClient, tokens: dict[str, str]
) -> None:
    open_and_activate(service)
    reader = auth(tokens["auditor"])
    name = service.settings.prefecture_name
    workbook = client.get(f"/api/v1/indicators?{PERIOD}&format=xlsx", headers=reader)
    header = openpyxl.load_workbook(io.BytesIO(workbook.content))["Journal"].oddHeader
    assert header is not None
    assert header.left.text == name
    pdf = client.get(f"/api/v1/indicators?{PERIOD}&format=pdf", headers=reader)
    assert pdf.headers["content-type"] == "application/pdf"
    text = extract_text(io.BytesIO(pdf.content))
    assert f"{name} — Indicateurs Qual-e-Pref, module 7" in text
    assert "Du 1er novembre 2026 au 30 novembre 2026" in text
