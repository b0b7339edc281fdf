"""Drills through the real service on a virtual clock: hand-computed timings, the same report
at two speeds, every bundled scenario, faults, and the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.bootstrap import bootstrap
from crisis.cli import app
from drills.model import bundled_scenarios, load_scenario
from drills.runner import DrillRunner

START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)

SMALL = """\
title: Exercice court
kind: inondation
communes: [Yerres, Crosne]
objectives: [Tenir les délais]
commitments: [47, 48]
duration: "+01:10"
participants:
  - {role: cadre_permanence, name: Cadre}
audience:
  - {name: Maire de Yerres, category: elu, email: maire@yerres.example.fr, mobile: "06 12 34 56 78"}
  - {name: Radio locale, category: media, email: radio@example.fr}
injects:
  - {at: "+00:00", from: Vigicrues, to: cadre_permanence, channel: email, content: Vigilance orange, target: "+00:10"}
  - {at: "+00:50", from: Animation, to: cadre_permanence, channel: telephone, content: Relance, contingency: true, when: "clock media running"}
actions:
  - {at: "+00:04", do: activate_cod, by: Préfet}
  - {at: "+00:14", do: send_message, by: Rédacteur, audiences: [elus], texts: {default: "Crue de l'Yerres : évacuez les berges."}}
  - {at: "+00:16", do: approve, by: Préfet}
  - {at: "+00:31", do: declare_cell_operational, by: Chef de cellule}
  - {at: "+00:37", do: send_message, by: Rédacteur, audiences: [public], texts: {default: "Crue de l'Yerres : restez chez vous."}}
  - {at: "+00:40", do: approve, by: Préfet}
  - {at: "+01:07", do: record_delivery, by: Chef de cellule, audiences: [media], means: conférence de presse}
faults:
  - {channel: sms, from: "+00:10", to: "+00:30", mode: down}
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "court.yaml"
    path.write_text(SMALL, "utf-8")
    return path


def test_report_figures_match_hand_computed_timings(small: Path, tmp_path: Path) -> None:
    result = DrillRunner(load_scenario(small), start=START, make_service=bootstrap).run(
        tmp_path / "out"
    )
    clocks = {c.name: c for c in result.report.clocks}
    # COD at +4: cell at +31 → 27 min; élus at +16 → 12; public at +40 → 36; media at +67 → 63 (late).
    assert {n: (c.achieved_minutes, c.state) for n, c in clocks.items()} == {
        "cell": (27.0, "met"),
        "elus": (12.0, "met"),
        "public": (36.0, "met"),
        "media": (63.0, "met_late"),
    }
    assert clocks["media"].warnings_raised == [30, 45, 55]
    assert clocks["media"].breach_raised_at == datetime(2026, 11, 28, 2, 4, tzinfo=UTC)
    assert result.missed is True
    # The SMS to the mayor waited for the end of the fault (+30), then went out.
    sms = result.sandbox["sms"]
    assert len(sms.sent) == 1
    assert sms.refused >= 14
    assert sms.sent[0].text.startswith("EXERCICE EXERCICE EXERCICE")
    injects = [e for e in result.report.chronology if e.kind == "event.InjectPlayed"]
    assert len(injects) == 2  # the contingency inject played: the media clock was running
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert report["exercise"] is True
    assert [
        {k: c[k] for k in ("name", "target_minutes", "achieved_minutes", "state")}
        for c in report["clocks"]
    ] == [
        {"name": "cell", "target_minutes": 60, "achieved_minutes": 27.0, "state": "met"},
        {"name": "elus", "target_minutes": 60, "achieved_minutes": 12.0, "state": "met"},
        {"name": "public", "target_minutes": 60, "achieved_minutes": 36.0, "state": "met"},
        {"name": "media", "target_minutes": 60, "achieved_minutes": 63.0, "state": "met_late"},
    ]
    assert (tmp_path / "out" / "report.html").read_text("utf-8").count("<svg") == 1
    assert (tmp_path / "out" / "report.md").read_text("utf-8").startswith("> **EXERCICE**")


def test_the_report_is_the_same_whatever_the_speed(small: Path, tmp_path: Path) -> None:
    scenario = load_scenario(small)
    fast = DrillRunner(scenario, start=START, make_service=bootstrap).run(tmp_path / "max")
    naps: list[float] = []
    slow = DrillRunner(
        scenario, start=START, make_service=bootstrap, speed=600, sleep=naps.append
    ).run(tmp_path / "x600")
    assert len(naps) == 70  # one per virtual minute: 0.1 s of real time each at most
    assert all(0 <= nap <= 0.1 for nap in naps)
    assert (tmp_path / "max" / "report.json").read_bytes() == (
        tmp_path / "x600" / "report.json"
    ).read_bytes()
    assert fast.report == slow.report


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_runs_into_a_complete_report(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(bundled_scenarios()[name])
    result = DrillRunner(scenario, start=START, make_service=bootstrap).run(tmp_path)
    report = result.report
    assert report.exercise is True
    assert {c.name for c in report.clocks} >= {"cell", "elus", "public", "media"}
    assert all(c.achieved_minutes is not None for c in report.clocks)
    assert report.callout is not None
    assert len(report.acknowledgements) >= 2
    assert report.journal.ok
    assert len([e for e in report.chronology if e.kind == "event.InjectPlayed"]) >= 2
    assert report.closed_at is not None
    for fault in scenario.faults:
        assert result.sandbox[fault.channel].refused > 0


def test_drill_command_line(tmp_path: Path, small: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "drill",
            "run",
            "accident-seveso",
            "--out",
            str(tmp_path / "a"),
            "--start",
            "2026-11-28T02:00:00+01:00",
            "--fail-on-miss",
        ],
    )
    assert ok.exit_code == 0, ok.stderr
    assert "cellule de communication opérationnelle : 20 min pour 60 min (met)" in ok.stdout
    missed = runner.invoke(
        app, ["drill", "run", str(small), "--out", str(tmp_path / "b"), "--fail-on-miss"]
    )
    assert missed.exit_code == 1
    assert "Une cible au moins n'est pas tenue." in missed.stderr
    broken = tmp_path / "casse.yaml"
    broken.write_text(SMALL.replace('duration: "+01:10"', 'duration: "70 minutes"'), "utf-8")
    bad = runner.invoke(app, ["drill", "run", str(broken), "--out", str(tmp_path / "c")])
    assert bad.exit_code == 2
    assert f"{broken}, ligne 6, champ duration" in bad.stderr
    assert not (tmp_path / "c").exists()
    speed = runner.invoke(app, ["drill", "run", str(small), "--speed", "vite"])
    assert speed.exit_code == 2
    listed = runner.invoke(app, ["drill", "list"])
    assert "crue-seine — Exercice — crue de la Seine à Corbeil-Essonnes" in listed.stdout


def test_one_bundled_scenario_takes_a_channel_down_and_activates_the_cip(tmp_path: Path) -> None:
    scenario = load_scenario(bundled_scenarios()["tempete-coupures"])
    assert any(f.mode == "down" for f in scenario.faults)
    report = DrillRunner(scenario, start=START, make_service=bootstrap).run(tmp_path).report
    assert report.cip is not None
    assert report.cip.numero_unique == "01 69 91 91 00"
    assert report.cip.minutes_to_operational == 25.0
    cip = next(c for c in report.clocks if c.name == "cip")
    assert (cip.achieved_minutes, cip.state) == (25.0, "met")
    assert [v.label for v in report.verdicts if v.commitment == "50"] == ["tenu"]
    cell = next(c for c in report.clocks if c.name == "cell")
    assert cell.achieved_minutes == 40.0  # the last acknowledgement of the quorum, at +50
    assert cell.met_by is not None
    assert "Quorum atteint" in cell.met_by
