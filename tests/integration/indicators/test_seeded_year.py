"""The indicators of a seeded year against figures computed by hand (see seeded_year.py)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from sqlalchemy import Engine

from crisis.reporting.indicators_model import Indicators
from crisis.reporting.indicators_render import IndicatorsFormat, render_indicators, to_json
from crisis.reporting.indicators_service import indicators_view
from crisis.reporting.schema import SCHEMA_PATH, schema_text
from tests.integration.indicators.seeded_year import Year, seeded_year

OUTPUT_DIR = Path(__file__).resolve().parents[2] / "output"


@pytest.fixture
def year(engine: Engine, tmp_path: Path) -> Iterator[Year]:
    with seeded_year(engine, tmp_path) as built:
        yield built


def pack_of(year: Year, first: date, last: date) -> Indicators:
    with year.service.bus.unit_of_work() as uow:
        return indicators_view(uow, first=first, last=last, now=year.service.clock.now())


def json_of(
    year: Year, first: date = date(2026, 1, 1), last: date = date(2026, 12, 31)
) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(to_json(pack_of(year, first, last)))
    return data


def stats(data: dict[str, Any]) -> tuple[Any, ...]:
    return (
        data["events"],
        data["within_target"],
        data["share_within_target"],
        data["median_minutes"],
        data["p90_minutes"],
        data["worst_minutes"],
        data["met_late"],
        data["not_met"],
        data["running"],
    )


def test_every_indicator_matches_the_hand_computed_year(year: Year) -> None:
    ids = year.ids
    data = json_of(year)
    assert data["period"] == {
        "from": "2026-01-01",
        "to": "2026-12-31",
        "starts_at": "2025-12-31T23:00:00+00:00",
        "ends_at": "2026-12-31T23:00:00+00:00",
    }
    c = data["commitments"]
    # 47: cell 35, 50, 25, 75 (late); R7 still running; R6 excluded; R5 without COD.
    assert stats(c["47"]) == (4, 3, 0.75, 42.5, 75.0, 75.0, 1, 0, 1)
    assert c["47"]["event_ids"] == [ids["R1"], ids["R2"], ids["R3"], ids["R4"]]
    assert (c["47"]["cod_activations"], c["47"]["without_cod"]) == (5, 1)
    # 48 élus: 20, 45, 15, 30, 50 (R7, met after midnight in Paris, counted in 2026).
    assert stats(c["48"]["elus"]) == (5, 5, 1.0, 30.0, 50.0, 50.0, 0, 0, 0)
    assert c["48"]["elus"]["first_channels"] == {"SMS": 1, "téléphone": 4}
    # public: 30, 70 (late), 25, 30; R7 running.
    assert stats(c["48"]["public"]) == (4, 3, 0.75, 30.0, 70.0, 70.0, 1, 0, 1)
    assert c["48"]["public"]["first_channels"] == {"site internet": 4}
    # media: 40, 55, breached (R3, never met), 30; R7 running.
    assert stats(c["48"]["media"]) == (4, 3, 0.75, 40.0, 55.0, 55.0, 0, 1, 1)
    assert c["48"]["media"]["first_channels"] == {"communiqué": 3}
    # 49: January held (3 of 4 clocks), April missed, July failed, October never swept;
    # E1 held outside the programme, and the drill played on demand on 3 November too.
    p = c["49"]
    assert (p["planned"], p["held"], p["missed"], p["failed"], p["upcoming"]) == (4, 1, 2, 1, 0)
    assert (p["held_unattended"], p["held_live"], p["unplanned_held"]) == (1, 0, 2)
    assert p["on_demand_held"] == 1
    assert [(o["status"], o["on_demand"]) for o in p["occurrences"]] == [
        ("held", False),
        ("missed", False),
        ("failed", False),
        ("missed", False),
        ("held", True),
    ]
    assert [o["occurrence"][:10] for o in p["occurrences"]] == [
        "2026-01-15",
        "2026-04-15",
        "2026-07-15",
        "2026-10-15",
        "2026-11-03",
    ]
    played = p["occurrences"][-1]
    assert played["status_label"] == "joué à la demande, hors programme"
    assert [s["kind"] for s in played["sources"]] == [
        "event.DrillRunStarted",
        "command.RecordDrillRun",
    ]
    assert [(t["quarter"], t["planned"], t["held"], t["missed"]) for t in p["trend"]] == [
        ("T1 2026", 1, 1, 0),
        ("T2 2026", 1, 1, 1),
        ("T3 2026", 1, 0, 0),
        ("T4 2026", 1, 1, 1),
    ]
    # T1: the January run (3 of 4); T2: E1, élus 40 and media 20 met, public 65 late → 3 of 4;
    # T4: the drill played on demand, 4 of 4.
    assert [(t["clocks_met"], t["clocks_measured"]) for t in p["trend"]] == [
        (3, 4),
        (3, 4),
        (0, 0),
        (4, 4),
    ]
    # 50: R3 40 min after the order (published once accepted), R4 90 min (late, never
    # published).
    assert stats(c["50"]) == (2, 1, 0.5, 65.0, 90.0, 90.0, 1, 0, 0)
    assert (c["50"]["orders"], c["50"]["published"], c["50"]["not_published"]) == (2, 1, 1)


def test_quarters_edge_cases_and_traceability(year: Year) -> None:
    ids = year.ids
    data = json_of(year)
    shares = {(q["quarter"], q["clock"]): q["share_within_target"] for q in data["quarters"]}
    assert shares[("T1 2026", "public")] == 0.5
    assert shares[("T2 2026", "media")] == 0.0
    assert shares[("T3 2026", "cell")] == 0.0
    assert shares[("T4 2026", "cell")] is None  # R7's cell clock still runs; R6 is excluded
    rows = {row["crisis_id"]: row for row in data["events"]}
    # Exercises are never real events; the event without COD is listed, with no clock.
    assert ids["E1"] not in rows
    assert rows[ids["R5"]]["note"] == "Clos sans activation du COD."
    assert rows[ids["R5"]]["clocks"] == {}
    # The broken chain: shown, flagged, left out; the pack says so.
    broken = rows[ids["R6"]]
    assert (broken["counted"], broken["chain"]["ok"], broken["chain"]["first_broken_seq"]) == (
        False,
        False,
        2,
    )
    assert "rompue" in broken["note"]
    assert ids["R6"] not in c_ids(data)
    assert data["all_chains_ok"] is False
    chains = {ch["chain"]: ch for ch in data["chains"]}
    assert set(chains) == {
        *(ids[k] for k in ("R1", "R2", "R3", "R4", "R5", "R6", "R7", "E1")),
        "system",
    }
    # Each clock figure names the journal entries it comes from, which exist as stated.
    cell = rows[ids["R1"]]["clocks"]["cell"]
    assert (cell["delay_minutes"], cell["verdict"]) == (35.0, "met")
    kinds = [s["kind"] for s in cell["sources"]]
    assert kinds == ["event.ClockStarted", "event.ClockMet"]
    with year.service.bus.unit_of_work() as uow:
        entries = {e.seq: e for e in uow.journal.entries(ids["R1"])}
        assert chains[ids["R1"]]["head_hash"] == uow.journal.entries(ids["R1"])[-1].hash
    for source in cell["sources"]:
        assert entries[source["seq"]].hash == source["hash"]
        assert source["chain"] == ids["R1"]
    # A clock met late and a clock never met, each with its verdict.
    assert rows[ids["R2"]]["clocks"]["public"]["verdict_label"] == "tenu en retard"
    assert rows[ids["R3"]]["clocks"]["media"]["verdict"] == "breached"
    assert rows[ids["R7"]]["clocks"]["cell"]["within_target"] is None
    # The exercise's own figures, apart.
    assert [e["crisis_id"] for e in data["exercises"]["events"]] == [ids["E1"]]
    assert stats(data["exercises"]["clocks"]["public"])[:3] == (1, 0, 0.0)
    # RETEX: the open actions (overdue at the end of the year) and the one done in March.
    retex = data["retex"]
    assert retex["events_with_retex"] == 2
    assert [a["action"]["owner"] for a in retex["open_actions"]] == [
        "Service communication",
        "Cabinet",
    ]
    assert all(a["overdue"] for a in retex["open_actions"])
    (done,) = retex["done_in_period"]
    assert (done["action"]["owner"], done["action"]["done_at"]) == (
        "SIDPC",
        "2026-03-20T09:00:00+00:00",
    )


def c_ids(data: dict[str, Any]) -> set[str]:
    c = data["commitments"]
    found = set(c["47"]["event_ids"]) | set(c["50"]["event_ids"])
    for audience in ("elus", "public", "media"):
        found |= set(c["48"][audience]["event_ids"])
    return found


def test_an_event_spanning_two_periods_counts_in_its_decision_period(year: Year) -> None:
    data = json_of(year, date(2027, 1, 1), date(2027, 1, 31))
    assert data["events"] == []
    assert data["commitments"]["47"]["events"] == 0
    assert data["commitments"]["47"]["share_within_target"] is None
    assert data["statement"].startswith("Aucun événement réel entre le 1er janvier 2027")
    html = render_indicators(
        pack_of(year, date(2027, 1, 1), date(2027, 1, 31)), IndicatorsFormat.HTML
    )
    assert "Aucun événement réel entre le 1er janvier 2027 et le 31 janvier 2027" in html.decode()
    december = json_of(year, date(2026, 12, 1), date(2026, 12, 31))
    assert [e["crisis_id"] for e in december["events"]] == [year.ids["R7"]]


def test_the_json_follows_its_schema_file(year: Year) -> None:
    assert SCHEMA_PATH.read_text("utf-8") == schema_text(), (
        "run `python -m crisis.reporting.schema` after changing the model"
    )
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json_of(year), schema)
    jsonschema.validate(json_of(year, date(2027, 1, 1), date(2027, 1, 31)), schema)


def test_the_workbook_holds_numbers_and_dates(year: Year) -> None:
    document = render_indicators(
        pack_of(year, date(2026, 1, 1), date(2026, 12, 31)), IndicatorsFormat.XLSX
    )
    book = openpyxl.load_workbook(io.BytesIO(document))
    assert book.sheetnames == [
        "Indicateurs",
        "Événements",
        "Engagement 47",
        "Engagement 48",
        "Engagement 48 — SMS",
        "Engagement 49",
        "Engagement 49 — tendance",
        "Engagement 49 — bilan",
        "Exercices joués",
        "Engagement 50",
        "Actions en cours",
        "Actions faites",
        "Journal",
    ]
    summary = book["Indicateurs"]
    header = [cell.value for cell in summary[1]]
    assert header[:5] == [
        "Engagement",
        "Objet",
        "Événements mesurés",
        "Dans l'objectif",
        "Part dans l'objectif",
    ]
    rows = {row[1]: row for row in summary.iter_rows(min_row=2, max_row=6, values_only=True)}
    assert rows["Cellule de communication opérationnelle"][2:8] == (4, 3, 0.75, 42.5, 75, 75)
    assert rows["Information : Médias"][2:8] == (4, 3, 0.75, 40, 55, 55)
    assert rows["CIP opérationnelle après l'ordre"][2:8] == (2, 1, 0.5, 65, 90, 90)
    assert summary.cell(row=2, column=5).number_format == "0 %"
    events = book["Événements"]
    titles = [cell.value for cell in events[1]]
    decided = titles.index("Décision d'activation du COD") + 1
    delay = titles.index("Délai cellule (47) (min)") + 1
    first = {events.cell(row=r, column=2).value: r for r in range(2, events.max_row + 1)}
    row = first["Crue de l'Orge"]
    # 08:00 UTC on 15 January is 9:00 in Paris: a real date, shown the French way.
    assert events.cell(row=row, column=decided).value == datetime(2026, 1, 15, 9, 0)
    assert events.cell(row=row, column=decided).number_format == "dd/mm/yyyy hh:mm"
    assert events.cell(row=row, column=delay).value == 35
    assert isinstance(events.cell(row=row, column=delay).value, float | int)
    programme = book["Engagement 49"]
    assert [c.value for c in programme[2]][:4] == [
        "Exercice trimestriel",
        datetime(2026, 1, 15, 9, 0),
        "automatique",
        "joué",
    ]


def test_html_pdf_and_csv_render(year: Year) -> None:
    pack = pack_of(year, date(2026, 1, 1), date(2026, 12, 31))
    html = render_indicators(pack, IndicatorsFormat.HTML).decode()
    assert "Comment lire ce document" in html
    assert html.count("<svg") == 2
    assert "Crue de l&#39;Orge" in html
    assert "ROMPUE à l'entrée n° 2" in html
    document = render_indicators(pack, IndicatorsFormat.PDF)
    assert document.startswith(b"%PDF")
    csv_text = render_indicators(pack, IndicatorsFormat.CSV).decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].startswith("Exercice;Identifiant;Titre;Nature")
    assert len(lines) == 1 + 7 + 1  # seven real events, one exercise
    orge = next(line for line in lines if "Crue de l'Orge" in line)
    assert ";15/01/2026 09:00;" in orge
    assert ";35;tenu;" in orge
    OUTPUT_DIR.mkdir(exist_ok=True)
    (OUTPUT_DIR / "indicateurs.pdf").write_bytes(document)
    if shutil.which("pdftoppm"):
        # For a person to look at: the first page of the pack.
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(OUTPUT_DIR / "indicateurs.pdf"),
                str(OUTPUT_DIR / "indicateurs-page1"),
            ],
            check=True,
        )
        assert (OUTPUT_DIR / "indicateurs-page1.png").stat().st_size > 1000
