"""The timing report in JSON, Markdown, CSV, HTML (with its timeline) and PDF.

JSON keeps the stable codes for scripts; the other formats render one `ReportDocument`, so
they carry the same sections and facts.
"""

from __future__ import annotations

import json
import re
import warnings
from importlib import resources

from jinja2 import Environment, select_autoescape

from crisis.exercise_titles import exercise_title
from crisis.reporting.document import ReportDocument, Section, build_document
from crisis.reporting.formats import ReportFormat as ReportFormat
from crisis.reporting.report_models import TimingReport
from crisis.reporting.svg import timeline_svg
from crisis.spreadsheet_csv import SpreadsheetCsv


def to_json(report: TimingReport) -> str:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _markdown_section(section: Section, level: int) -> list[str]:
    lines = [f"{'#' * level} {section.title}", ""]
    if section.facts:
        lines += [f"- {label} : {value}" for label, value in section.facts] + [""]
    if section.table is not None:
        table = section.table
        lines.append("| " + " | ".join(table.headers) + " |")
        lines.append("|" + "---|" * len(table.headers))
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
        lines.append("")
    for sub in section.subsections:
        lines += _markdown_section(sub, level + 1)
    if not section.facts and section.table is None and not section.subsections:
        lines += [section.empty, ""]
    return lines


def to_markdown(report: TimingReport) -> str:
    document = build_document(report)
    lines = []
    if document.exercise:
        lines += ["> **EXERCICE** — rapport d'un exercice", ""]
    lines += [f"# {document.title}", ""]
    lines += [f"- {label} : {value}" for label, value in document.facts] + [""]
    for section in document.sections:
        lines += _markdown_section(section, 2)
    return "\n".join(lines).rstrip("\n") + "\n"


def to_csv(report: TimingReport) -> str:
    """Every section one after the other, for a spreadsheet: a title row, then its rows.

    It starts with a byte order mark, so that a spreadsheet opened by a double click reads
    the accents as UTF-8.
    """
    document = build_document(report)
    writer = SpreadsheetCsv()
    writer.writerow([document.title])
    if document.exercise:
        writer.writerow(["EXERCICE", "rapport d'un exercice"])
    writer.writerows(document.facts)

    def write(section: Section) -> None:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerows(section.facts)
        if section.table is not None:
            writer.writerow(section.table.headers)
            writer.writerows(section.table.rows)
        for sub in section.subsections:
            write(sub)
        if not section.facts and section.table is None and not section.subsections:
            writer.writerow([section.empty])

    for section in document.sections:
        write(section)
    return writer.text()


_NUMBER_AND_UNIT = re.compile(r"(\d) (?=(h|min|s|%)\b)")


def _nobreak(text: str) -> str:
    """Short cells (« 28/11 22 h 10 ») never wrap, nor a number from its unit (« 1 h »)."""
    if len(text) <= 16:
        return text.replace(" ", "\u00a0")
    return _NUMBER_AND_UNIT.sub("\\1\u00a0", text)


_ENV = Environment(autoescape=select_autoescape(default=True))
_ENV.filters["nobreak"] = _nobreak
_TEMPLATE = _ENV.from_string(
    (resources.files("crisis.reporting") / "report.html.j2").read_text("utf-8")
)


def css_string(text: str) -> str:
    """A CSS string literal (for the PDF's running header and footer)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _html(report: TimingReport, document: ReportDocument, *, paged: bool) -> str:
    return _TEMPLATE.render(
        d=document,
        chart=timeline_svg(report),
        paged=paged,
        header=css_string(
            exercise_title(report.title, word="EXERCICE") if document.exercise else report.title
        ),
        generated=css_string(f"Rapport établi le {document.generated}"),
        head_hash=css_string(f"Empreinte de tête du journal : {document.head_hash}"),
    )


def to_html(report: TimingReport) -> str:
    return _html(report, build_document(report), paged=False)


def html_to_pdf(html: str) -> bytes:
    with warnings.catch_warnings():
        # Debian 12 ships HarfBuzz without its subset library; WeasyPrint still works.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import HTML

    document: bytes = HTML(string=html).write_pdf()
    return document


def to_pdf(report: TimingReport) -> bytes:
    return html_to_pdf(_html(report, build_document(report), paged=True))


def render(report: TimingReport, fmt: ReportFormat) -> bytes:
    if fmt is ReportFormat.PDF:
        return to_pdf(report)
    text = {
        ReportFormat.JSON: to_json,
        ReportFormat.HTML: to_html,
        ReportFormat.MD: to_markdown,
        ReportFormat.CSV: to_csv,
    }[fmt](report)
    return text.encode("utf-8")
