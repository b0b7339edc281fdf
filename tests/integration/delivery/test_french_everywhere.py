"""French everywhere a person reads: every `--help` of the CLI, every report format of rich
drills (callout, approvals, CIP, retries) and of an event with a failed delivery and a missed
deadline, and the public pages. None of them may show an English word of the framework or an
internal name (a command or event class, a state or purpose code). The JSON report keeps its
stable codes and is not scanned.

The PDF of the `tempete-coupures` drill is rendered to PNG in `tests/output/` for a person
to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crisis.api.app import create_app
from crisis.bootstrap import Service, bootstrap
from crisis.cli import app
from crisis.clock import ManualClock
from crisis.domain.commands import Command
from crisis.domain.events import Event
from crisis.domain.vocabulary import Audience
from crisis.reporting.render import ReportFormat, render
from crisis.reporting.report_models import TimingReport
from crisis.reporting.svg import printed_font_size_pt
from drills.model import bundled_scenarios, load_scenario
from drills.runner import DrillRunner
from tests.integration.delivery.conftest import Fakes
from tests.integration.delivery.test_broadcast import dispatch, send
from tests.integration.delivery.test_report import report_of, run_small_scenario
from tests.unit.french.test_vocabulary import subclass_names

REPOSITORY = Path(__file__).parents[3]
START = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)

ENGLISH = [
    "Show this message",
    "Show",
    "required",
    "Input should",
    "Usage",
    "Error",
    "Commands",
    "Missing",
    "Invalid",
    "default",
    "Try",
    "Aborted",
    "met",
    "met_late",
    "breached",
    "not_started",
    "running",
    "callout",
    "factual",
    "alert",
    "update",
    "cancel",
    "<bool>",
    "<str>",
    "<int>",
    "<path>",
]
# Codes a person never types, so never reads either (the CLI lists some as accepted values).
CODES = [
    "clock_alert",
    "delivery_alert",
    "drill_notice",
    "drill_inject",
    "duty_officer",
    "comm_cell",
    "telegram_dm",
    "telegram_public",
    "chef_de_cellule",
    "charge_reseaux_sociaux",
    "operateur_cip",
    "chef_de_salle_cip",
    "cadre_permanence",
    "command.",
    "event.",
    "refused.",
]


# Values a person types on the command line, shown as such: CAP's msgType codes.
TYPED_VALUES = r"\b(alert|update|cancel) \(|\[par défaut : alert\]"


INTERNAL_NAMES = sorted(subclass_names(Command) | subclass_names(Event))


def offending(text: str, words: list[str]) -> list[str]:
    found = []
    for word in words:
        edge_left = r"(?<![\w-])" if word[0].isalnum() else ""
        edge_right = r"(?![\w-])" if word[-1].isalnum() else ""
        if re.search(edge_left + re.escape(word) + edge_right, text):
            found.append(word)
    return found


class _Text(HTMLParser):
    """The text a person reads in an HTML page (tooltips included), without tags or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")
        self.parts += [v or "" for k, v in attrs if k in ("aria-label", "title", "alt")]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


# -- the command line ------------------------------------------------------------------------


def _command_paths(
    group: typer.core.TyperGroup, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    yield prefix
    context = typer.Context(group)
    for name in group.list_commands(context):  # the root loads each command only now
        command = group.get_command(context, name)
        if isinstance(command, typer.core.TyperGroup):
            yield from _command_paths(command, (*prefix, name))
        else:
            yield (*prefix, name)


def test_every_help_of_the_command_line_is_in_french() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    paths = list(_command_paths(root))
    names = {part for path in paths for part in path}
    runner = CliRunner()
    problems: dict[str, list[str]] = {}
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"}, prog_name="crisis")
        assert result.exit_code == 0, (path, result.output)
        assert "Afficher cette aide et quitter." in result.output
        # No Python type (« <list[texte]> ») and no « exercice(s) »: words a person reads.
        assert not re.search(r"<\w+\[|\w\((s|x)\)", result.output), (path, result.output)
        # Command names and option flags are what a person types: not scanned.
        text = re.sub(r"--?[\w-]+", " ", result.output)
        text = re.sub(TYPED_VALUES, " ", text)
        text = re.sub(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])", " ", text)
        found = offending(text, ENGLISH + INTERNAL_NAMES)
        if found:
            problems[" ".join(("crisis", *path))] = found
    assert not problems, problems


def test_every_option_and_argument_is_described() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    undescribed = []
    for path in _command_paths(root):
        command: Any = root
        for part in path:
            command = command.get_command(typer.Context(command), part)
        if command.help is None and path != ():
            undescribed.append(" ".join(path))
        for param in command.params:
            if not getattr(param, "help", None):
                undescribed.append(f"{' '.join(path)} {param.name}")
    assert not undescribed, undescribed


def test_usage_errors_are_in_french() -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["drill", "run"], env={"COLUMNS": "200"}, prog_name="crisis")
    assert missing.exit_code == 2
    assert "Argument obligatoire manquant : 'SCENARIO'." in missing.output
    assert "Utilisation : crisis drill run" in missing.output
    bad = runner.invoke(
        app, ["serve", "--port", "quatre"], env={"COLUMNS": "200"}, prog_name="crisis"
    )
    assert "Valeur invalide pour '--port' : nombre entier attendu" in bad.output
    unknown = runner.invoke(
        app, ["drill", "run", "x", "--vite"], env={"COLUMNS": "200"}, prog_name="crisis"
    )
    assert "Option inconnue : --vite" in unknown.output
    for result in (missing, bad, unknown):
        assert not offending(result.output, ENGLISH), result.output


# -- the reports -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drill_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TimingReport]:
    reports = {}
    for name, path in sorted(bundled_scenarios().items()):
        out = tmp_path_factory.mktemp(name)
        runner = DrillRunner(load_scenario(path), start=START, make_service=bootstrap)
        reports[name] = runner.run(out).report
    return reports


def _human_formats(report: TimingReport) -> dict[str, str]:
    return {
        "md": render(report, ReportFormat.MD).decode("utf-8"),
        "csv": render(report, ReportFormat.CSV).decode("utf-8"),
        "html": html_text(render(report, ReportFormat.HTML).decode("utf-8")),
    }


def _assert_french(name: str, report: TimingReport) -> None:
    for fmt, text in _human_formats(report).items():
        found = offending(text, ENGLISH + CODES + INTERNAL_NAMES)
        assert not found, (name, fmt, found)
        assert not re.search(r"\d\.\d+ (min|s)\b", text), (name, fmt)  # a decimal point
        assert not re.search(r"\b\d{3,} s\b", text), (name, fmt)  # « 2040 s »


def test_drill_reports_are_in_french_in_every_format(
    drill_reports: dict[str, TimingReport],
) -> None:
    assert any(r.callout and r.cip for r in drill_reports.values())
    assert any(m.approver for r in drill_reports.values() for m in r.messages)
    for name, report in drill_reports.items():
        _assert_french(name, report)


def test_every_format_has_the_same_sections(drill_reports: dict[str, TimingReport]) -> None:
    report = drill_reports["tempete-coupures"]
    formats = _human_formats(report)
    sections = [
        "Engagements",
        "Horloges",
        "Messages",
        "Appel de la cellule",
        "Cellule d'information du public (CIP)",
        "Injects de l'exercice",
        "Intégrité du journal",
        "Chronologie",
    ]
    facts = ["Clôture", "Rapport établi", "Empreinte de tête", "1 h", "Personne appelée"]
    for fmt, text in formats.items():
        position = 0
        for section in sections:  # each one, in this order
            position = text.find(section, position)
            assert position >= 0, (fmt, section)
        for fact in facts:
            assert fact in text, (fmt, fact)
    # Every callout row names its role.
    for line in formats["md"].splitlines():
        if "Rôle sans personne à appeler" in line or "Membre appelé" in line:
            assert re.search(r"chef de cellule|rédacteur|chargé|attaché|CIP", line), line


def test_a_failed_delivery_and_a_missed_deadline_read_in_french(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id = run_small_scenario(service, clock)
    fakes.telegram.blocked_chats.add("1001")
    send(service, crisis_id, audiences=(Audience.ELUS,), channels=("telegram_dm",))
    dispatch(service)
    report = report_of(service, crisis_id)
    assert any(m.failures for m in report.messages)
    assert any(c.state == "breached" for c in report.clocks)
    _assert_french("échec", report)
    markdown = render(report, ReportFormat.MD).decode("utf-8")
    assert "Diffusion en échec" in markdown and "non tenu" in markdown


def test_public_pages_are_in_french(service: Service, fakes: Fakes) -> None:
    client = TestClient(create_app(service))
    for path in ("/public", "/public/exercice"):
        response = client.get(path)
        assert response.status_code == 200
        assert not offending(html_text(response.text), ENGLISH + CODES + INTERNAL_NAMES)


# -- the PDF on paper ------------------------------------------------------------------------


def output_dir() -> Path:
    folder = REPOSITORY / "tests" / "output"  # the test run's output folder (git ignores it)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_storm_drill_pdf_is_rendered_for_a_person_to_read(
    drill_reports: dict[str, TimingReport],
) -> None:
    assert printed_font_size_pt() >= 8  # the timeline's labels, printed on A4
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail(
                "poppler-utils (pdftoppm, pdftotext) is needed: apt-get install poppler-utils"
            )
        pytest.skip("poppler-utils is not installed")
    report = drill_reports["tempete-coupures"]
    folder = output_dir() / "rapport-tempete-coupures"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    pdf = folder / "rapport.pdf"
    pdf.write_bytes(render(report, ReportFormat.PDF))
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(folder / "page")], check=True)
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) >= 2
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert f"page 1 / {len(pages)}" in text and f"page {len(pages)} / {len(pages)}" in text
    assert report.journal.head_hash is not None
    assert report.journal.head_hash in re.sub(r"\s", "", text)
    assert "Rapport établi le" in text
    assert not offending(text, ENGLISH + CODES + INTERNAL_NAMES)
