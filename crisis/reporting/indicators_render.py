"""The indicators pack in JSON, CSV, HTML (with its charts), PDF and Excel."""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources

from jinja2 import Environment, select_autoescape

from crisis.french import long_date
from crisis.labels import channel_label
from crisis.reporting.document import at, minutes, when
from crisis.reporting.formats import IndicatorsFormat as IndicatorsFormat
from crisis.reporting.indicators_charts import delays_svg, quarters_svg
from crisis.reporting.indicators_model import AUDIENCES, Indicators, Stats
from crisis.reporting.indicators_tables import AUDIENCE_TITLES, Cell, event_table, handsets_table
from crisis.reporting.render import css_string, html_to_pdf
from crisis.services.retex_views import EntryRef
from crisis.spreadsheet_csv import SpreadsheetCsv

MEDIA_TYPES = {
    IndicatorsFormat.JSON: "application/json",
    IndicatorsFormat.CSV: "text/csv; charset=utf-8",
    IndicatorsFormat.HTML: "text/html; charset=utf-8",
    IndicatorsFormat.PDF: "application/pdf",
    IndicatorsFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def to_json(pack: Indicators) -> str:
    return json.dumps(pack.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2)


def cell_text(value: Cell, *, empty: str = "") -> str:
    """A cell as a French spreadsheet or page shows it: Paris dates, decimal comma, oui/non."""
    if value is None:
        return empty
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def to_csv(pack: Indicators) -> str:
    """One row per real event then per exercise, for a French spreadsheet (« ; », « , »), with
    the byte order mark of the service's other CSV files."""
    table = event_table(pack.events + pack.exercises.events, "Événements")
    writer = SpreadsheetCsv()
    writer.writerow(["Exercice", *table.headers])
    rows = pack.events + pack.exercises.events
    for event, cells in zip(rows, table.rows, strict=True):
        writer.writerow(["oui" if event.exercise else "non", *(cell_text(c) for c in cells)])
    return writer.text()


def _share(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def _refs(sources: list[EntryRef]) -> str:
    return ", ".join(f"n° {s.seq} ({s.hash[:10]}…)" for s in sources) or "—"


def _seqs(sources: list[EntryRef]) -> str:
    """Entry numbers only, in the long tables (the hashes are in the JSON and the workbook)."""
    return ", ".join(f"n° {s.seq}" for s in sources) or "—"


_ENV = Environment(autoescape=select_autoescape(default=True), trim_blocks=True)
# The channel that met a clock: its French name (a manual delivery's means stay as written).
_ENV.filters["canal"] = channel_label
_TEMPLATE = _ENV.from_string(
    (resources.files("crisis.reporting") / "indicators.html.j2").read_text("utf-8")
)


# The footer names each chain's head (its first characters, as the integrity table starts):
# beyond this many chains, the table alone lists the others.
FOOTER_HEADS = 12
SHORT_HASH = 8


def _running_heads(pack: Indicators) -> str:
    heads = [c.head_hash[:SHORT_HASH] for c in pack.chains if c.head_hash]
    if not heads:
        return "Journal : aucune entrée pendant la période"
    text = "Têtes du journal : " + " · ".join(heads[:FOOTER_HEADS])
    if len(heads) > FOOTER_HEADS:
        text += f" … et {len(heads) - FOOTER_HEADS} autres (« Intégrité du journal »)"
    return text


def to_html(pack: Indicators, *, service: str | None = None, paged: bool = False) -> str:
    """The pack as a page; `paged` for the PDF: running header and footer, A4 page breaks."""
    c = pack.commitments
    summary: list[tuple[str, str, Stats]] = [
        ("47", "Cellule de communication opérationnelle", c.c47)
    ]
    summary += [("48", f"Première information : {AUDIENCE_TITLES[a]}", c.c48[a]) for a in AUDIENCES]
    summary.append(("50", "CIP opérationnelle après l'ordre du préfet", c.c50))
    return _TEMPLATE.render(
        p=pack,
        c=c,
        summary=summary,
        handsets=handsets_table(pack),
        audiences=AUDIENCES,
        audience_titles=AUDIENCE_TITLES,
        delays_chart=delays_svg(pack.events),
        quarters_chart=quarters_svg(pack),
        when=when,
        at=at,
        day=long_date,
        minutes=minutes,
        share=_share,
        refs=_refs,
        seqs=_seqs,
        service=service,
        paged=paged,
        running_title=css_string(
            " — ".join(filter(None, [service, "Indicateurs Qual-e-Pref, module 7"]))
        ),
        running_period=css_string(
            f"Du {long_date(pack.period.from_)} au {long_date(pack.period.to)}"
        ),
        running_heads=css_string(_running_heads(pack)),
        short_hash=SHORT_HASH,
    )


def to_pdf(pack: Indicators, *, service: str | None = None) -> bytes:
    return html_to_pdf(to_html(pack, service=service, paged=True))


def render_indicators(
    pack: Indicators, fmt: IndicatorsFormat, *, service: str | None = None
) -> bytes:
    """The pack in a format; `service` (the préfecture's name) heads the PDF's and the
    workbook's pages."""
    if fmt is IndicatorsFormat.PDF:
        return to_pdf(pack, service=service)
    if fmt is IndicatorsFormat.XLSX:
        # openpyxl takes 0.1 s to import: loaded when a workbook is asked for.
        from crisis.reporting.indicators_xlsx import to_xlsx

        return to_xlsx(pack, service=service)
    if fmt is IndicatorsFormat.HTML:
        return to_html(pack, service=service).encode("utf-8")
    text = {IndicatorsFormat.JSON: to_json, IndicatorsFormat.CSV: to_csv}[fmt](pack)
    return text.encode("utf-8")
