"""The « tableau de bord » workbook: one sheet of indicators, one row per event, one sheet
per commitment; numbers stored as numbers, instants as dates (Paris wall time)."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from crisis.labels import channel_label
from crisis.reporting.indicators_model import AUDIENCES, Indicators
from crisis.reporting.indicators_tables import (
    AUDIENCE_TITLES,
    Table,
    actions_table,
    chains_table,
    event_table,
    indicators_table,
    paris,
    programme_table,
)

DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
SHARE_FORMAT = "0 %"
HEADER_FILL = PatternFill("solid", fgColor="E3E3FD")


def _write(sheet: Worksheet, table: Table, *, start_row: int = 1) -> int:
    """Write a table from `start_row`; return the next free row."""
    for column, header in enumerate(table.headers, start=1):
        title = sheet.cell(row=start_row, column=column, value=header)
        title.font = Font(bold=True)
        title.fill = HEADER_FILL
    for offset, values in enumerate(table.rows, start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=start_row + offset, column=column, value=value)
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, float) and "Part" in table.headers[column - 1]:
                cell.number_format = SHARE_FORMAT
    for column, header in enumerate(table.headers, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(len(header), 12), 40)
    sheet.freeze_panes = f"A{start_row + 1}"
    return start_row + len(table.rows) + 2


def _note(sheet: Worksheet, row: int, text: str) -> int:
    sheet.cell(row=row, column=1, value=text).font = Font(italic=True)
    return row + 1


def to_xlsx(pack: Indicators) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Indicateurs"
    row = _write(summary, indicators_table(pack))
    row = _note(
        summary, row, f"Période : du {pack.period.from_:%d/%m/%Y} au {pack.period.to:%d/%m/%Y}"
    )
    summary.cell(row=row, column=1, value="Calculé le")
    summary.cell(row=row, column=2, value=paris(pack.generated_at)).number_format = DATETIME_FORMAT
    row += 1
    if pack.statement:
        row = _note(summary, row, pack.statement)
    if not pack.all_chains_ok:
        row = _note(summary, row, "Au moins une chaîne du journal est rompue : voir « Journal ».")

    _write(book.create_sheet("Événements"), event_table(pack.events, "Événements"))

    c = pack.commitments
    sheet47 = book.create_sheet("Engagement 47")
    row = _write(sheet47, event_table(pack.events, "Engagement 47"))
    sheet47.cell(row=row, column=1, value="Événements avec activation du COD")
    sheet47.cell(row=row, column=2, value=c.c47.cod_activations)
    sheet47.cell(row=row + 1, column=1, value="Événements sans activation du COD")
    sheet47.cell(row=row + 1, column=2, value=c.c47.without_cod)

    sheet48 = book.create_sheet("Engagement 48")
    channels = Table(
        "Premiers moyens",
        ["Public", "Moyen de la première information", "Événements"],
        [
            [AUDIENCE_TITLES[a], channel_label(channel), count]
            for a in AUDIENCES
            for channel, count in c.c48[a].first_channels.items()
        ],
    )
    _write(sheet48, channels)

    sheet49 = book.create_sheet("Engagement 49")
    row = _write(sheet49, programme_table(c.c49.occurrences))
    trend = Table(
        "Tendance",
        ["Trimestre", "Prévus", "Joués", "Manqués", "Horloges tenues", "Horloges mesurées"],
        [
            [t.quarter, t.planned, t.held, t.missed, t.clocks_met, t.clocks_measured]
            for t in c.c49.trend
        ],
    )
    row = _write(sheet49, trend, start_row=row)
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
    row = _write(sheet49, totals, start_row=row)
    _write(sheet49, event_table(pack.exercises.events, "Exercices"), start_row=row)
    sheet49.freeze_panes = "A2"

    sheet50 = book.create_sheet("Engagement 50")
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
    _write(sheet50, cip)

    actions = book.create_sheet("Actions correctives")
    row = _write(actions, actions_table(pack.retex.open_actions, "En cours"))
    _write(actions, actions_table(pack.retex.done_in_period, "Faites"), start_row=row)
    actions.freeze_panes = "A2"
    _write(book.create_sheet("Journal"), chains_table(pack.chains))

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
