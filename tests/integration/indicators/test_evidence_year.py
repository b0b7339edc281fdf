"""The seeded year's evidence, exact to the entry: deliveries recorded out of order are cited by
the entry that holds each figure (pack, timing report, console), and the tampered event says
nothing but its exclusion in any format or page."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from crisis.domain.commands import AddUser
from crisis.reporting.document import build_document
from crisis.reporting.indicators_render import IndicatorsFormat, render_indicators, to_json
from crisis.reporting.service import crisis_report
from crisis.services.context import SYSTEM_ACTOR
from crisis.store.journal import JournalEntry
from tests.integration.indicators.seeded_year import Year, seeded_year
from tests.integration.indicators.test_seeded_year import pack_of
from tests.integration.web.conftest import PASSWORD, new_client, sign_in

YEAR = (date(2026, 1, 1), date(2026, 12, 31))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture
def year(engine: Engine, tmp_path: Path) -> Iterator[Year]:
    with seeded_year(engine, tmp_path) as built:
        yield built


@pytest.fixture
def thawed_year(engine: Engine, tmp_path: Path) -> Year:
    """The same year, time running again: the console's routes are built on real dates."""
    with seeded_year(engine, tmp_path) as built:
        pass
    return built


def console_of(year: Year) -> TestClient:
    year.service.bus.handle(
        AddUser(name="auditrice", role="auditor", password=PASSWORD), actor=SYSTEM_ACTOR
    )
    client = new_client(year.service)
    sign_in(client, "auditrice")
    return client


def entries_of(year: Year, crisis_id: str) -> list[JournalEntry]:
    with year.service.bus.unit_of_work() as uow:
        return uow.journal.entries(crisis_id)


def elus_clock_entries(year: Year) -> tuple[str, JournalEntry, JournalEntry]:
    """R1's élus clock: « n° s, n° c », the entries that start it and hold its 20 minutes;
    and the two entries meeting it: the radio (recorded first, at 30 min) and the call
    (recorded after it, made at 20 min)."""
    elus = [e for e in entries_of(year, year.ids["R1"]) if e.payload.get("clock") == "elus"]
    (start,) = [e for e in elus if e.kind == "event.ClockStarted"]
    radio, call = [e for e in elus if e.kind == "event.ClockMet"]
    assert "radio" in radio.payload["met_by"] and "téléphone" in call.payload["met_by"]
    assert radio.seq < call.seq
    return f"n° {start.seq}, n° {call.seq}", radio, call


def test_the_pack_cites_the_entry_holding_each_figure(year: Year) -> None:
    cited, radio, call = elus_clock_entries(year)
    pack = pack_of(year, *YEAR)
    row = next(r for r in pack.events if r.crisis_id == year.ids["R1"])
    figure = row.clocks["elus"]
    assert (figure.delay_minutes, figure.channel) == (20.0, "téléphone")
    assert [s.kind for s in figure.sources] == ["event.ClockStarted", "event.ClockMet"]
    assert (figure.sources[1].seq, figure.sources[1].hash) == (call.seq, call.hash)
    # Every format: the call's number, never the radio's, beside the élus' figure.
    page = html.unescape(render_indicators(pack, IndicatorsFormat.HTML).decode())
    orge = page[page.index("<td>Crue de l'Orge<br>") :]
    orge = orge[: orge.index("</tr>")]
    assert f"elus : {cited}" in orge
    assert f"n° {radio.seq}" not in orge
    csv_line = next(
        line
        for line in render_indicators(pack, IndicatorsFormat.CSV).decode("utf-8-sig").splitlines()
        if "Crue de l'Orge" in line
    )
    assert f";{cited};" in csv_line
    book = openpyxl.load_workbook(io.BytesIO(render_indicators(pack, IndicatorsFormat.XLSX)))
    sheet = book["Événements"]
    titles = [c.value for c in sheet[1]]
    by_title = {sheet.cell(row=r, column=2).value: r for r in range(2, sheet.max_row + 1)}
    column = titles.index("Journal élus (48)") + 1
    assert sheet.cell(row=by_title["Crue de l'Orge"], column=column).value == cited


def test_the_cip_cites_the_acceptance_that_published_its_numero(year: Year) -> None:
    pack = pack_of(year, *YEAR)
    rows = {r.crisis_id: r for r in pack.events}
    published = rows[year.ids["R3"]].cip
    never = rows[year.ids["R4"]].cip
    assert published is not None and never is not None
    assert (published.published, never.published) == (True, False)
    accepted = published.sources[-1]
    assert accepted.kind == "event.DeliveriesAccepted"
    entry = next(e for e in entries_of(year, year.ids["R3"]) if e.seq == accepted.seq)
    assert entry.hash == accepted.hash
    assert [s.kind for s in never.sources] == ["event.CipOrdered", "event.CipDeclaredOperational"]


def test_the_timing_report_and_the_console_cite_the_same_entry(thawed_year: Year) -> None:
    year = thawed_year
    cited, radio, call = elus_clock_entries(year)
    now = year.service.clock.now()
    with year.service.bus.unit_of_work() as uow:
        report = crisis_report(uow, year.ids["R1"], now=now)
    clock = next(c for c in report.clocks if c.name == "elus")
    assert [s.seq for s in clock.sources][-1] == call.seq
    verdict = next(v for v in report.verdicts if "élus" in v.subject)
    assert verdict.detail == f"atteint en 20 min pour 1 h (journal : {cited})"
    table = next(s for s in build_document(report).sections if s.title == "Horloges").table
    assert table is not None
    assert [row[-1] for row in table.rows if row[0] == clock.label] == [cited]

    client = console_of(year)
    page = html.unescape(client.get(f"/rapports/{year.ids['R1']}").text).replace("\u00a0", " ")
    assert f"atteint en 20 min pour 1 h (journal : {cited})" in page
    assert f'<td data-label="Journal">{cited}</td>' in page
    assert f"n° {radio.seq}<" not in page.replace(f"n° {radio.seq}</td><td", "")  # chronology
    indicators = html.unescape(client.get("/indicateurs?du=2026-01-01&au=2026-12-31").text)
    assert f"{cited}<" in indicators


def _said_of(text: str, title: str) -> list[str]:
    """Each table row or paragraph of a page that names the event."""
    blocks = re.split(r"</tr>|</p>|</li>|<title>|</title>", text)
    return [" ".join(re.sub(r"<[^>]+>", " ", b).split()) for b in blocks if title in b]


def test_the_tampered_event_says_nothing_but_its_exclusion(year: Year) -> None:
    broken_id = year.ids["R6"]
    pack = pack_of(year, *OCTOBER)
    (row,) = pack.events
    assert row.crisis_id == broken_id
    data: dict[str, Any] = json.loads(to_json(pack))["events"][0]
    assert (data["counted"], data["note"], data["clocks"], data["cip"]) == (
        False,
        "Chaîne rompue : exclu.",
        {},
        None,
    )
    assert (data["decided_at"], data["reported_at"], data["kind_label"]) == (None, None, "")
    # The page: no sentence about its CIP (ordered in the tampered chain), nor any figure.
    page = html.unescape(render_indicators(pack, IndicatorsFormat.HTML).decode())
    assert "Le préfet n'a pas ordonné" not in page
    assert "Aucun ordre d'activation de la CIP parmi les événements comptés." in page
    assert "0 800 00 66 66" not in page
    (said,) = _said_of(page, "Accident routier sur l'A6")
    chain = f"{broken_id[:8]} · {row.chain.entries_checked} entrées"
    assert said == f"Accident routier sur l'A6 Chaîne rompue : exclu. — — — — — — {chain}"
    # The spreadsheet row: its name, its exclusion and its chain, every figure empty.
    csv_rows = render_indicators(pack, IndicatorsFormat.CSV).decode("utf-8-sig").splitlines()
    header, line = csv_rows[0].split(";"), csv_rows[1].split(";")
    cells = dict(zip(header, line, strict=True))
    filled = {k for k, v in cells.items() if v}
    assert filled == {
        "Exercice",
        "Identifiant",
        "Titre",
        "Compté",
        "Remarque",
        "RETEX",
        "Chaîne intacte",
        "Empreinte de tête",
    }
    assert (cells["Remarque"], cells["Compté"], cells["Chaîne intacte"]) == (
        "Chaîne rompue : exclu.",
        "non",
        "non",
    )


def test_the_console_says_nothing_of_the_tampered_event_but_its_exclusion(
    thawed_year: Year,
) -> None:
    page = console_of(thawed_year).get("/indicateurs?du=2026-10-01&au=2026-10-31")
    text = html.unescape(page.text)
    assert page.status_code == 200
    assert "0 800 00 66 66" not in text
    (said,) = _said_of(text, "Accident routier sur l'A6")
    assert "Chaîne rompue : exclu." in said
    assert " min" not in said and "tenu" not in said


def test_the_reports_list_gives_no_verdict_for_the_tampered_event(thawed_year: Year) -> None:
    client = console_of(thawed_year)
    page = html.unescape(client.get("/rapports?du=2026-10-01&au=2026-10-31").text)
    broken_id = thawed_year.ids["R6"]
    broken = page[page.index(f'id="rapport-{broken_id}"') :].split("</section>")[0]
    assert "Chaîne rompue : exclu." in broken
    assert "Engagement n°" not in broken and "tenu" not in broken
