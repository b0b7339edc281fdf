"""The timing report against hand-computed figures, on both databases, in every format."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import CheckDeadlines, DeclareCellOperational, SendMessage
from crisis.domain.vocabulary import Audience
from crisis.reporting.render import ReportFormat, render
from crisis.reporting.report_models import TimingReport
from crisis.reporting.service import crisis_report
from crisis.services.context import SYSTEM_ACTOR
from tests.integration.delivery.conftest import CELL, Fakes, add_people, open_active, token_for
from tests.integration.delivery.test_broadcast import TEXTS, dispatch


def run_small_scenario(service: Service, clock: ManualClock) -> str:
    """+0 COD; +12 élus and public; +35 cell operational; +61 the media clock breaches."""
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    t0 = clock.now()
    clock.set(t0 + timedelta(minutes=12))
    service.bus.handle(
        SendMessage(crisis_id=crisis_id, texts=TEXTS, audiences=(Audience.ELUS, Audience.PUBLIC)),
        actor=CELL,
    )
    dispatch(service)
    clock.set(t0 + timedelta(minutes=35))
    service.bus.handle(DeclareCellOperational(crisis_id=crisis_id, note="quorum"), actor=CELL)
    clock.set(t0 + timedelta(minutes=61))
    service.bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR)
    return crisis_id


def report_of(service: Service, crisis_id: str) -> TimingReport:
    with service.bus.unit_of_work() as uow:
        return crisis_report(uow, crisis_id, now=service.clock.now())


def test_figures_match_the_hand_computed_timings(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id = run_small_scenario(service, clock)
    report = report_of(service, crisis_id)
    clocks = {c.name: c for c in report.clocks}
    assert report.exercise is True
    assert (
        clocks["cell"].achieved_minutes,
        clocks["cell"].margin_minutes,
        clocks["cell"].state,
    ) == (35.0, 25.0, "met")
    assert (clocks["elus"].achieved_minutes, clocks["elus"].state) == (12.0, "met")
    assert (clocks["public"].achieved_minutes, clocks["public"].state) == (12.0, "met")
    assert (clocks["media"].achieved_minutes, clocks["media"].state) == (None, "breached")
    assert clocks["media"].warnings_raised == [30, 45, 55]
    verdicts = {
        (v.commitment, v.subject.split()[3] if v.commitment == "48" else ""): v.label
        for v in report.verdicts
    }
    assert verdicts[("47", "")] == "tenu"
    assert verdicts[("48", "élus")] == "tenu"
    assert verdicts[("48", "médias")] == "non tenu"
    assert verdicts[("50", "")] == "non déclenché"
    (factual,) = [m for m in report.messages if m.purpose == "factual"]
    assert factual.author == "cellule"
    channels = {c.channel: c for c in factual.channels}
    assert channels["email"].deliveries == channels["email"].accepted == 2
    assert channels["sms"].accepted == 2
    assert channels["email"].latency_p50_seconds == 0.0  # the clock stood still while sending
    assert report.journal.ok
    assert report.chronology[0].label == "Ouverture de l'événement"
    # Every entry once, in order; a run of outcomes of one message on one channel is one line.
    covered = [n for c in report.chronology for n in range(c.seq, (c.last_seq or c.seq) + 1)]
    assert covered == list(range(1, report.journal.entries_checked + 1))
    # Acceptances are journalled per recorded batch, each line saying how many it covers.
    accepted = [c for c in report.chronology if c.kind == "event.DeliveriesAccepted"]
    counted = [int(c.summary.rsplit(" : ", 1)[1].split()[0]) for c in accepted]
    assert sum(counted) == sum(ch.accepted for m in report.messages for ch in m.channels)
    assert max(counted) > 1


def test_every_format_is_produced_and_non_empty(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id = run_small_scenario(service, clock)
    report = report_of(service, crisis_id)
    as_json = json.loads(render(report, ReportFormat.JSON))
    assert as_json["exercise"] is True
    assert {c["name"] for c in as_json["clocks"]} == {"cell", "elus", "public", "media"}
    html = render(report, ReportFormat.HTML).decode("utf-8")
    assert "<svg" in html
    assert "EXERCICE" in html
    assert "Rapport de chronométrage — Crue de la Seine" in html
    markdown = render(report, ReportFormat.MD).decode("utf-8")
    assert "| information des médias | 1 h |" in markdown
    rows = list(
        csv.reader(io.StringIO(render(report, ReportFormat.CSV).decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][0] == "Rapport de chronométrage — Crue de la Seine"
    chronology = rows.index(["Chronologie"])
    assert rows[chronology + 1][:4] == ["n°", "Heure", "Qui", "Quoi"]
    assert len(rows) == chronology + 2 + len(report.chronology)
    pdf = render(report, ReportFormat.PDF)
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5_000


def test_report_shows_a_broken_chain(
    service: Service, fakes: Fakes, clock: ManualClock, engine: Engine
) -> None:
    crisis_id = run_small_scenario(service, clock)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE journal SET actor = 'x' WHERE stream = :s AND seq = 3"), {"s": crisis_id}
        )
    report = report_of(service, crisis_id)
    assert report.journal.ok is False
    assert report.journal.first_broken_seq == 3
    assert "CHAÎNE ROMPUE" in render(report, ReportFormat.MD).decode("utf-8")


def test_report_over_the_api(service: Service, fakes: Fakes, clock: ManualClock) -> None:
    crisis_id = run_small_scenario(service, clock)
    client = TestClient(create_app(service))
    token = token_for(service, "auditor")
    response = client.get(
        f"/api/v1/crises/{crisis_id}/report?format=json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json()["clocks"][0]["name"] == "cell"
    pdf = client.get(
        f"/api/v1/crises/{crisis_id}/report?format=pdf",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert pdf.headers["content-type"] == "application/pdf"
    bad = client.get(
        f"/api/v1/crises/{crisis_id}/report?format=docx",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 422
