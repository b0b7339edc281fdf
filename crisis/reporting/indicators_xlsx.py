"""The « tableau de bord » workbook: one table per sheet, numbers stored as numbers, instants as
dates (Paris wall time).

Each sheet is ready to hand over and to print: columns as wide as what they hold, the header
row frozen and repeated on every printed page, landscape A4 fitted to the page width, the
service, the sheet's title and the period in the page header, page numbers in the footer.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from crisis.labels import channel_label
from crisis.reporting.indicators_model import AUDIENCES, Indicators
from crisis.reporting.indicators_tables import (
    AUDIENCE_TITLES,
    Cell,
    Table,
    actions_table,
    chains_table,
    event_table,
    handsets_table,
    indicators_table,
    paris,
    programme_table,
)

DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
SHARE_FORMAT = "0 %"
HEADER_FILL = PatternFill("solid", fgColor="E3E3FD")
# Column widths, in characters: a header wraps rather than widen its column past its
# content; a long text (a remark, an action) wraps past the widest column.
MIN_WIDTH = 8
MAX_WIDTH = 60
HEADER_WORD_WIDTH = 12
PADDING = 2
LINE_HEIGHT = 15  # points, one line of the default 11-point font


@dataclass(frozen=True, slots=True)
class PageHeading:
    """What every printed page carries besides its sheet's title."""

    service: str
    period: str
    generated: str


def _shown_width(value: Cell, header: str) -> int:
    """How many characters the cell shows, in the format the workbook gives it."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    if isinstance(value, float) and _is_share(header):
        return 5  # « 100 % »
    if isinstance(value, float):
        return len(f"{value:g}")
    return max(len(line) for line in str(value).splitlines() or [""])


def _is_share(header: str) -> bool:
    return "Part" in header


def _column_width(table: Table, column: int) -> int:
    header = table.headers[column]
    content = max((_shown_width(row[column], header) for row in table.rows), default=0)
    longest_word = max(len(word) for word in header.split())
    wanted = max(content, min(len(header), HEADER_WORD_WIDTH), longest_word)
    return min(max(wanted, MIN_WIDTH), MAX_WIDTH) + PADDING


def _header_lines(header: str, width: int) -> int:
    """Lines of the wrapped header (words never split)."""
    lines, used = 1, 0
    for word in header.split():
        if used and used + 1 + len(word) > width - PADDING:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _write(sheet: Worksheet, table: Table) -> None:
    """The table from A1: its header row, its rows, each column fitted to what it holds."""
    widths = [_column_width(table, column) for column in range(len(table.headers))]
    wrap = Alignment(wrap_text=True, vertical="top")
    for column, header in enumerate(table.headers, start=1):
        title = sheet.cell(row=1, column=column, value=header)
        title.font = Font(bold=True)
        title.fill = HEADER_FILL
        title.alignment = wrap
    for row, values in enumerate(table.rows, start=2):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, float) and _is_share(table.headers[column - 1]):
                cell.number_format = SHARE_FORMAT
            elif isinstance(value, str) and _shown_width(value, "") > MAX_WIDTH:
                cell.alignment = wrap
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    lines = max(
        (_header_lines(h, w) for h, w in zip(table.headers, widths, strict=True)), default=1
    )
    sheet.row_dimensions[1].height = LINE_HEIGHT * lines
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.headers))}{len(table.rows) + 1}"


def _header_text(text: str) -> str:
    """Text for a page header or footer, where « & » starts a code (page number, date)."""
    return text.replace("&", "&&")


def _print_setup(sheet: Worksheet, heading: PageHeading) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True
    header, footer = sheet.oddHeader, sheet.oddFooter
    assert header is not None and footer is not None  # openpyxl makes them with the sheet
    header.left.text = _header_text(heading.service)
    header.center.text = "&B&A"  # the sheet's name, in bold
    header.right.text = _header_text(heading.period)
    footer.left.text = _header_text(heading.generated)
    footer.right.text = "Page &P sur &N"
    for part in (header.left, header.right, footer.left, footer.right):
        part.size = 8


def _note(sheet: Worksheet, row: int, text: str) -> int:
    sheet.cell(row=row, column=1, value=text).font = Font(italic=True)
    return row + 1


def _summary_notes(sheet: Worksheet, pack: Indicators, row: int) -> None:
    row = _note(
        sheet, row, f"Période : du {pack.period.from_:%d/%m/%Y} au {pack.period.to:%d/%m/%Y}"
    )
    sheet.cell(row=row, column=1, value="Calculé le")
    sheet.cell(row=row, column=2, value=paris(pack.generated_at)).number_format = DATETIME_FORMAT
    row += 1
    if pack.statement:
        row = _note(sheet, row, pack.statement)
    if not pack.all_chains_ok:
        _note(sheet, row, "Au moins une chaîne du journal est rompue : voir « Journal ».")


def _tables(pack: Indicators) -> list[tuple[str, Table]]:
    """Each sheet's name and its one table, in the order of the pack."""
    c = pack.commitments
    channels = Table(
        "Premiers moyens",
        ["Public", "Moyen de la première information", "Événements"],
        [
            [AUDIENCE_TITLES[a], channel_label(channel), count]
            for a in AUDIENCES
            for channel, count in c.c48[a].first_channels.items()
        ],
    )
    trend = Table(
        "Tendance",
        ["Trimestre", "Prévus", "Joués", "Manqués", "Horloges tenues", "Horloges mesurées"],
        [
            [t.quarter, t.planned, t.held, t.missed, t.clocks_met, t.clocks_measured]
            for t in c.c49.trend
        ],
    )
    totals = Table(
        "Totaux",
        ["Prévus", "Joués", "Manqués", "Interrompus", "À venir", "Hors programme"],
        [
            [
                c.c49.planned,
                c.c49.held,
                c.c49.missed,
                c.c49.failed,
                c.c49.upcoming,
                c.c49.unplanned_held,
            ]
        ],
    )
    cip = Table(
        "CIP",
        ["Événement", "Ordre", "Numéro unique", "CIP opérationnelle", "Délai (min)", "NU publié"],
        [
            [
                r.title,
                paris(r.cip.ordered_at),
                r.cip.numero_unique,
                paris(r.cip.operational_at),
                r.cip.delay_minutes,
                "oui" if r.cip.published else "non",
            ]
            for r in pack.events
            if r.cip is not None
        ],
    )
    return [
        ("Indicateurs", indicators_table(pack)),
        ("Événements", event_table(pack.events, "Événements")),
        ("Engagement 47", event_table(pack.events, "Engagement 47")),
        ("Engagement 48", channels),
        ("Engagement 48 — SMS", handsets_table(pack)),
        ("Engagement 49", programme_table(c.c49.occurrences)),
        ("Engagement 49 — tendance", trend),
        ("Engagement 49 — bilan", totals),
        ("Exercices joués", event_table(pack.exercises.events, "Exercices")),
        ("Engagement 50", cip),
        ("Actions en cours", actions_table(pack.retex.open_actions, "En cours")),
        ("Actions faites", actions_table(pack.retex.done_in_period, "Faites")),
        ("Journal", chains_table(pack.chains)),
    ]


def to_xlsx(pack: Indicators, *, service: str | None = None) -> bytes:
    heading = PageHeading(
        service=service or "Indicateurs Qual-e-Pref",
        period=f"Du {pack.period.from_:%d/%m/%Y} au {pack.period.to:%d/%m/%Y}",
        generated=f"Calculé le {paris(pack.generated_at):%d/%m/%Y à %H:%M} d'après le journal",
    )
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, table in _tables(pack):
        sheet = book.create_sheet(name)
        _write(sheet, table)
        _print_setup(sheet, heading)
    summary = book["Indicateurs"]
    _summary_notes(summary, pack, summary.max_row + 2)
    c47 = book["Engagement 47"]
    row = c47.max_row + 2
    c47.cell(row=row, column=1, value="Événements avec activation du COD")
    c47.cell(row=row, column=2, value=pack.commitments.c47.cod_activations)
    c47.cell(row=row + 1, column=1, value="Événements sans activation du COD")
    c47.cell(row=row + 1, column=2, value=pack.commitments.c47.without_cod)

    _no_formulas(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _no_formulas(book: Workbook) -> None:
    """Every text is a string cell: openpyxl makes a formula of a text that starts with « = »
    (an event titled `=HYPERLINK(…)`), and Excel would run it (OWASP, formula injection)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
