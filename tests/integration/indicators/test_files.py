"""The indicators pack's files as a quality manager hands them over: the CSV Excel reads, the
workbook that prints, the PDF with its running header and footer."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTComponent, LTPage, LTTextLine
from sqlalchemy import Engine

from crisis.french import long_date
from crisis.reporting.indicators_model import Indicators
from crisis.reporting.indicators_render import IndicatorsFormat, render_indicators, to_html
from crisis.reporting.indicators_service import indicators_view
from tests.integration.indicators.seeded_year import Year, seeded_year

SERVICE = "Préfecture de l'Essonne"
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
# Periods whose packs once left a heading alone at the foot of a page.
PERIODS = [YEAR, (date(2026, 1, 1), date(2026, 3, 28)), (date(2026, 5, 1), date(2026, 12, 31))]
POINTS_PER_CM = 72 / 2.54


@pytest.fixture
def year(engine: Engine, tmp_path: Path) -> Iterator[Year]:
    with seeded_year(engine, tmp_path) as built:
        yield built


def pack_of(year: Year, first: date, last: date) -> Indicators:
    with year.service.bus.unit_of_work() as uow:
        return indicators_view(uow, first=first, last=last, now=year.service.clock.now())


def test_the_csv_starts_with_the_byte_order_mark_like_the_other_csv_files(year: Year) -> None:
    document = render_indicators(pack_of(year, *YEAR), IndicatorsFormat.CSV)
    assert document.startswith(codecs.BOM_UTF8)
    text = document.decode("utf-8-sig")
    assert not text.startswith("\ufeff")  # one mark, not two
    assert text.startswith("Exercice;Identifiant;Titre;Nature")
    assert "Crue de l'Orge" in text


# The workbook


def _shown(cell: Cell) -> int:
    """Characters the cell shows, as Excel formats it."""
    value = cell.value
    if isinstance(value, date):  # read back as a datetime, whatever it was written as
        return len("31/12/2026" if cell.number_format == "dd/mm/yyyy" else "31/12/2026 23:59")
    if isinstance(value, float) and cell.number_format == "0 %":
        return len("100 %")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _table_rows(sheet: Worksheet) -> int:
    """The last row of the sheet's one table (its filter covers it)."""
    last = sheet.auto_filter.ref
    assert last is not None
    return int("".join(ch for ch in last.split(":")[1] if ch.isdigit()))


def test_the_workbook_has_one_fitted_table_a_sheet_ready_to_print(year: Year) -> None:
    document = render_indicators(pack_of(year, *YEAR), IndicatorsFormat.XLSX, service=SERVICE)
    book = openpyxl.load_workbook(io.BytesIO(document))
    for sheet in book.worksheets:
        name = sheet.title
        assert sheet.freeze_panes == "A2", name
        assert sheet.print_title_rows == "$1:$1", name
        setup = sheet.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
        assert str(setup.paperSize) == sheet.PAPERSIZE_A4
        properties = sheet.sheet_properties.pageSetUpPr
        assert properties is not None and properties.fitToPage, name
        header, footer = sheet.oddHeader, sheet.oddFooter
        assert header is not None and footer is not None
        assert header.left.text == SERVICE
        assert header.center.text == "&B&A"  # the sheet's name
        assert header.right.text == "Du 01/01/2026 au 31/12/2026"
        assert footer.right.text == "Page &P sur &N"
        assert footer.left.text == "Calculé le 01/01/2027 à 00:35 d'après le journal"
        last_row = _table_rows(sheet)
        # One table: a single header row, filled; below the table, notes only in column A
        # and its value beside it.
        filled = {
            c.row for row in sheet.iter_rows() for c in row if c.fill.fgColor.rgb == "00E3E3FD"
        }
        assert filled == {1}, name
        assert all(c.font.bold for c in sheet[1] if c.value is not None), name
        for row in sheet.iter_rows(min_row=last_row + 1):
            assert all(c.value is None for c in row[2:]), name
        for index, column in enumerate(sheet.iter_cols(min_row=2, max_row=last_row), start=1):
            width = sheet.column_dimensions[get_column_letter(index)].width
            for cell in column:
                if cell.value is None or cell.alignment.wrap_text:
                    continue
                assert _shown(cell) < width, (name, cell.coordinate, cell.value, width)
    events = book["Événements"]
    decided = [c.value for c in events[1]].index("Décision d'activation du COD") + 1
    assert events.cell(row=2, column=decided).number_format == "dd/mm/yyyy hh:mm"
    assert events.column_dimensions[get_column_letter(decided)].width >= 18


def test_ampersands_of_a_service_name_stay_text_in_the_page_header(year: Year) -> None:
    document = render_indicators(
        pack_of(year, *YEAR), IndicatorsFormat.XLSX, service="Préfecture de Meurthe-&-Moselle"
    )
    header = openpyxl.load_workbook(io.BytesIO(document))["Journal"].oddHeader
    assert header is not None
    assert header.left.text == "Préfecture de Meurthe-&&-Moselle"


# The PDF


def _lines(item: object) -> Iterator[LTTextLine]:
    if isinstance(item, LTTextLine):
        yield item
    elif isinstance(item, LTComponent) and hasattr(item, "__iter__"):
        for child in item:
            yield from _lines(child)


def _printed_size(char: LTChar) -> float:
    """The character's font size on paper, upright or turned a quarter (the charts' values)."""
    a, b, c, d, _, _ = char.matrix
    if abs(b) < 1e-6 and abs(c) < 1e-6:
        return float(char.height)
    assert abs(a) < 1e-6 and abs(d) < 1e-6, f"text at an angle: {char.get_text()}"
    return float(char.width)


def _pages(document: bytes) -> list[LTPage]:
    return list(extract_pages(io.BytesIO(document)))


def _text(lines: list[LTTextLine]) -> str:
    return " ".join(line.get_text().strip() for line in lines)


@pytest.mark.parametrize(("first", "last"), PERIODS)
def test_the_pdf_prints_8_points_or_more_keeps_headings_and_runs_its_header_and_footer(
    year: Year, first: date, last: date
) -> None:
    pack = pack_of(year, first, last)
    pages = _pages(render_indicators(pack, IndicatorsFormat.PDF, service=SERVICE))
    assert len(pages) >= 3
    top_margin, bottom_margin = 2 * POINTS_PER_CM, 2.2 * POINTS_PER_CM
    heads = [c.head_hash[:8] for c in pack.chains if c.head_hash]
    for number, page in enumerate(pages, start=1):
        lines = [line for line in _lines(page) if line.get_text().strip()]
        chars = [
            c for line in lines for c in line if isinstance(c, LTChar) and c.get_text().strip()
        ]
        smallest = min(_printed_size(c) for c in chars)
        assert smallest >= 7.95, (number, smallest)
        header = [line for line in lines if line.y0 > page.height - top_margin]
        footer = [line for line in lines if line.y1 < bottom_margin]
        body = [line for line in lines if line not in header and line not in footer]
        header_text, footer_text = _text(header), _text(footer)
        assert f"{SERVICE} — Indicateurs Qual-e-Pref, module 7" in header_text, number
        assert f"Du {long_date(first)} au {long_date(last)}" in header_text, number
        assert f"page {number} / {len(pages)}" in footer_text, number
        assert footer_text.startswith("Têtes du journal : " + " · ".join(heads[:3])), number
        foot = min(body, key=lambda line: line.y0)
        sizes = [c.size for c in foot if isinstance(c, LTChar)]
        assert max(sizes) < 11, f"page {number} ends with the heading « {foot.get_text().strip()} »"


def test_the_footer_names_twelve_chain_heads_and_counts_the_others(year: Year) -> None:
    pack = pack_of(year, *YEAR)
    chain = pack.chains[0]
    many = [chain.model_copy(update={"head_hash": f"{n:02d}" + "a" * 62}) for n in range(14)]
    html = to_html(pack.model_copy(update={"chains": many}), paged=True)
    heads = " · ".join(f"{n:02d}aaaaaa" for n in range(12))
    assert f'"Têtes du journal : {heads} … et 2 autres (« Intégrité du journal »)"' in html
    none = to_html(pack.model_copy(update={"chains": []}), paged=True)
    assert '"Journal : aucune entrée pendant la période"' in none
