"""The indicators page of the console: the figures of the pack, its files and its charts."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.domain.commands import CodDecision, OpenCrisis, RecordDelivery
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.context import Actor
from tests.integration.web.conftest import new_client, sign_in

PARIS = ZoneInfo("Europe/Paris")


def period(service: Service) -> str:
    # Yesterday and today in Paris: the decision, 30 minutes ago, falls in it even at midnight.
    today = service.clock.now().astimezone(PARIS).date()
    return f"?du={today - timedelta(days=1)}&au={today}"


@pytest.fixture
def auditor(service: Service, people: dict[str, str]) -> TestClient:
    """An event of today: decision 30 min ago, élus told by phone 20 min after it, cell at 30."""
    now = service.clock.now()
    officer = Actor(name="web-duty_officer", role="duty_officer", user_id="u-officer")
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de l'Orge",
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(
                decided_by="la préfète", synergi_ref="SYN-1", decided_at=now - timedelta(minutes=30)
            ),
        ),
        actor=officer,
    )
    service.bus.handle(
        RecordDelivery(
            crisis_id=crisis_id,
            audience=Audience.ELUS,
            delivered_at=now - timedelta(minutes=10),
            means="téléphone",
        ),
        actor=officer,
    )
    client = new_client(service)
    sign_in(client, people["auditor"])
    return client


def test_the_page_shows_the_figures_of_the_pack(auditor: TestClient, service: Service) -> None:
    response = auditor.get(f"/indicateurs{period(service)}")
    assert response.status_code == 200
    text = html.unescape(response.text)
    cells = re.sub(r"<td [^>]*>", "<td>", text)  # the cells' column names for a phone's cards
    assert "Indicateurs Qual-e-Pref — module 7" in text
    # One event: the élus told 20 minutes after the decision; the public not yet (running).
    row = "<td>n° 48 — Information : Élus</td><td>1</td><td>1</td><td>100 %</td><td>20</td>"
    assert row + "<td>20</td>" in cells
    assert "<td>n° 48 — Information : Public</td><td>0</td><td>0</td><td>—</td><td>—</td>" in cells
    assert '<td data-label="Dans l\'objectif">1</td>' in text
    assert "Première information — élus : téléphone (1)." in text
    assert "Crue de l'Orge" in text  # one row per event
    assert 'src="/indicateurs/graphique-delais.svg?du=' in response.text
    assert "Télécharger les indicateurs en Excel" in text


def test_files_and_charts_are_served(auditor: TestClient, service: Service) -> None:
    workbook = auditor.get(f"/indicateurs/indicateurs.xlsx{period(service)}")
    assert workbook.status_code == 200
    assert workbook.headers["content-disposition"] == 'attachment; filename="indicateurs.xlsx"'
    assert "Indicateurs" in openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
    for name in ("delais", "trimestres"):
        chart = auditor.get(f"/indicateurs/graphique-{name}.svg{period(service)}")
        assert chart.status_code == 200
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert chart.text.lstrip().startswith("<svg")


def test_a_bad_period_is_refused_in_french(auditor: TestClient, service: Service) -> None:
    reversed_period = auditor.get("/indicateurs?du=2026-12-31&au=2026-01-01")
    assert reversed_period.status_code == 422
    assert "La fin de la période précède son début." in html.unescape(reversed_period.text)
    not_a_date = auditor.get("/indicateurs?du=31-12-2026")
    assert not_a_date.status_code == 422
    assert "Date invalide" in html.unescape(not_a_date.text)
    unknown = auditor.get(f"/indicateurs/indicateurs.docx{period(service)}")
    assert unknown.status_code == 422


def test_an_empty_period_says_so(auditor: TestClient) -> None:
    response = auditor.get("/indicateurs?du=2025-01-01&au=2025-12-31")
    assert response.status_code == 200
    assert "Aucun événement" in html.unescape(response.text)
