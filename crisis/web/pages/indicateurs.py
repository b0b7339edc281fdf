"""Les indicateurs Qual-e-Pref (`/indicateurs`): the pack of commitments 47 to 50 over a period.

The same pack as `crisis indicateurs` and `GET /api/v1/indicators`: `indicators_view` computes
it from the journal, the page lays out its figures, tables and charts, and offers the files
(PDF, Excel, CSV, HTML, JSON) for the users' committee and the auditors. Reading only.
"""

from __future__ import annotations

from datetime import date

from fastapi import Request, Response

from crisis.clock import PARIS
from crisis.domain.errors import InvalidInput
from crisis.reporting.indicators_charts import delays_svg, quarters_svg
from crisis.reporting.indicators_model import AUDIENCES, Indicators
from crisis.reporting.indicators_render import (
    MEDIA_TYPES,
    IndicatorsFormat,
    cell_text,
    render_indicators,
)
from crisis.reporting.indicators_service import indicators_view
from crisis.reporting.indicators_tables import (
    AUDIENCE_TITLES,
    Table,
    actions_table,
    chains_table,
    event_table,
    handsets_table,
    programme_table,
)
from crisis.web.pages.rapports import SVG_POLICY, form_day
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, service_of

router = console_router()

DOWNLOAD_NAMES = {
    IndicatorsFormat.PDF: "indicateurs.pdf",
    IndicatorsFormat.XLSX: "indicateurs.xlsx",
    IndicatorsFormat.CSV: "indicateurs.csv",
    IndicatorsFormat.HTML: "indicateurs.html",
    IndicatorsFormat.JSON: "indicateurs.json",
}
CHARTS = ("delais", "trimestres")


def _period(request: Request, du: str, au: str) -> tuple[date, date, dict[str, str]]:
    """The period asked for, by default the current calendar year up to today (Paris)."""
    today = service_of(request).clock.now().astimezone(PARIS).date()
    errors: dict[str, str] = {}
    first, last = date(today.year, 1, 1), today
    try:
        first = form_day(du, "du") or first
    except InvalidInput as error:
        errors[error.field] = error.message
    try:
        last = form_day(au, "au") or last
    except InvalidInput as error:
        errors[error.field] = error.message
    if not errors and last < first:
        errors["au"] = "La fin de la période précède son début."
    return first, last, errors


def _pack(request: Request, first: date, last: date) -> Indicators:
    service = service_of(request)
    with service.bus.reading() as uow:
        return indicators_view(uow, first=first, last=last, now=service.clock.now())


# The column that names a row, where it is not the first: it leads on the page (and titles the
# row's card on a phone); the files keep the tables' own order.
_LEADING_COLUMNS = ("Titre",)


def _laid_out(table: Table) -> dict[str, object]:
    """A table as the page shows it: its naming column first, every cell as text."""
    lead = next((table.headers.index(h) for h in _LEADING_COLUMNS if h in table.headers), 0)
    order = [lead, *(i for i in range(len(table.headers)) if i != lead)]
    return {
        "title": table.title,
        "headers": [table.headers[i] for i in order],
        "rows": [[cell_text(row[i], empty="—") for i in order] for row in table.rows],
    }


@router.get("/indicateurs")
def indicators_page(request: Request, session: CurrentUser, du: str = "", au: str = "") -> Response:
    first, last, errors = _period(request, du, au)
    pack = None if errors else _pack(request, first, last)
    tables: list[Table] = []
    if pack is not None:
        tables = [
            event_table(pack.events, "Événements réels, un par ligne"),
            programme_table(pack.commitments.c49.occurrences),
            event_table(pack.exercises.events, "Exercices, un par ligne"),
            handsets_table(pack),
            actions_table(pack.retex.open_actions, "Actions correctives ouvertes"),
            actions_table(pack.retex.done_in_period, "Actions correctives faites dans la période"),
            chains_table(pack.chains),
        ]
    return page(
        request,
        "indicateurs.html.j2",
        {
            "pack": pack,
            "period": {"du": first.isoformat(), "au": last.isoformat()},
            "errors": errors,
            "audiences": [(a, AUDIENCE_TITLES[a]) for a in AUDIENCES],
            "tables": [_laid_out(t) for t in tables],
            "formats": list(DOWNLOAD_NAMES),
        },
        session=session,
        status_code=422 if errors else 200,
    )


def _checked_period(request: Request, du: str, au: str) -> tuple[date, date]:
    first, last, errors = _period(request, du, au)
    if errors:
        field, reason = next(iter(errors.items()))
        raise InvalidInput(field, reason)
    return first, last


@router.get("/indicateurs/graphique-{name}.svg")
def chart(
    request: Request, name: str, session: CurrentUser, du: str = "", au: str = ""
) -> Response:
    if name not in CHARTS:
        raise InvalidInput("graphique", "Graphique inconnu : delais ou trimestres.")
    pack = _pack(request, *_checked_period(request, du, au))
    svg = delays_svg(pack.events) if name == "delais" else quarters_svg(pack)
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": SVG_POLICY, "Cache-Control": "no-store"},
    )


@router.get("/indicateurs/indicateurs.{extension}")
def download(
    request: Request, extension: str, session: CurrentUser, du: str = "", au: str = ""
) -> Response:
    try:
        fmt = IndicatorsFormat(extension)
    except ValueError:
        raise InvalidInput("format", "Format inconnu : pdf, xlsx, csv, html ou json.") from None
    pack = _pack(request, *_checked_period(request, du, au))
    return Response(
        render_indicators(pack, fmt, service=service_of(request).settings.prefecture_name),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{DOWNLOAD_NAMES[fmt]}"',
            "Cache-Control": "no-store",
        },
    )
