"""Les rapports (`/rapports`): every event, real or exercise, and what became of its commitments.

The list filtered by period, real or exercise, and nature, with each event's verdict per
commitment; an event's timing report in the page (the same report as the HTML and PDF files:
`crisis.reporting` computes it from the journal, the page only lays it out) with its SVG
timeline and its downloads; the journal check of every chain with its head hash, to be copied
into the paper main courante. Reading only: every role may see these pages.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import Query, Request, Response

from crisis.clock import PARIS
from crisis.domain.era import check_day
from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import CRISIS_KIND_LABELS, CrisisKind
from crisis.labels import COMMITMENT_STATE_LABELS
from crisis.reporting.render import ReportFormat, render
from crisis.reporting.report_models import TimingReport
from crisis.reporting.service import crisis_report
from crisis.reporting.svg import timeline_svg
from crisis.store.journal import SYSTEM_STREAM
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, service_of

router = console_router()

MAX_LISTED = 100
DOWNLOADS = {
    "pdf": (ReportFormat.PDF, "application/pdf"),
    "csv": (ReportFormat.CSV, "text/csv; charset=utf-8"),
    "md": (ReportFormat.MD, "text/markdown; charset=utf-8"),
    "json": (ReportFormat.JSON, "application/json"),
}
KINDS = [(k.value, label) for k, label in CRISIS_KIND_LABELS.items()]
# A timeline drawn by the service: its inline presentation attributes are its own.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def form_day(value: str, name: str) -> date | None:
    """A date field of a filter form (`AAAA-MM-JJ`, as `<input type="date">` sends it)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(name, "Date invalide (jj/mm/aaaa attendu).") from None
    return check_day(name, day)


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS)


@router.get("/rapports")
def reports(
    request: Request,
    session: CurrentUser,
    du: str = "",
    au: str = "",
    type_: Annotated[str, Query(alias="type")] = "",
    nature: str = "",
) -> Response:
    errors: dict[str, str] = {}
    start = end = None
    try:
        start = form_day(du, "du")
        end = form_day(au, "au")
    except InvalidInput as error:
        errors[error.field] = error.message
    if start and end and end < start:
        errors["au"] = "La fin de la période précède son début."
    exercise = {"reel": False, "exercice": True}.get(type_)
    kind = CrisisKind(nature) if nature in {k for k, _ in KINDS} else None
    service = service_of(request)
    now = service.clock.now()
    rows = []
    with service.bus.reading() as uow:
        found = uow.crises.find(
            exercise=exercise,
            reported_from=_paris_midnight(start) if start and not errors else None,
            reported_to=_paris_midnight(end + timedelta(days=1)) if end and not errors else None,
        )
        found = [c for c in found if kind is None or c.kind is kind]
        for crisis in found[:MAX_LISTED]:
            rows.append({"crisis": crisis, "report": crisis_report(uow, crisis.id, now=now)})
    return page(
        request,
        "rapports.html.j2",
        {
            "rows": rows,
            "total": len(found),
            "limit": MAX_LISTED,
            "filters": {"du": du, "au": au, "type": type_, "nature": nature},
            "errors": errors,
            "kinds": KINDS,
            "kind_labels": dict(KINDS),
        },
        session=session,
        status_code=422 if errors else 200,
    )


@router.get("/rapports/journal")
def journal_check(request: Request, session: CurrentUser) -> Response:
    service = service_of(request)
    chains = []
    all_ok = True
    with service.bus.reading() as uow:
        titles = {c.id: c.title for c in uow.crises.find()}
        for stream in uow.journal.streams():
            check = uow.journal.verify(stream)
            all_ok = all_ok and check.ok
            seq = uow.journal.head_seq(stream)
            last = uow.journal.entries(stream, after_seq=seq - 1, limit=1) if seq else []
            label = "Système" if stream == SYSTEM_STREAM else titles.get(stream, stream)
            chains.append(
                {
                    "stream": stream,
                    "label": label,
                    "check": check,
                    "head_seq": seq,
                    "head_hash": last[0].hash if last else "",
                    "head_at": last[0].at if last else None,
                }
            )
        checked_at = uow.now
    return page(
        request,
        "rapports_journal.html.j2",
        {"chains": chains, "checked_at": checked_at, "all_ok": all_ok},
        session=session,
    )


@router.get("/rapports/{crisis_id}")
def report(request: Request, crisis_id: str, session: CurrentUser) -> Response:
    timing = _timing(request, crisis_id)
    return page(
        request,
        "rapport.html.j2",
        {
            "r": timing,
            "kind_labels": dict(KINDS),
            "states": COMMITMENT_STATE_LABELS,
            "report_base": f"/rapports/{crisis_id}",
            "replay_link": f"/evenements/{crisis_id}/rejouer",
            "parent": ("/rapports", "Rapports"),
        },
        session=session,
    )


def report_download(timing: TimingReport, extension: str) -> Response:
    """The report as a file (or its timeline as an SVG image)."""
    if extension == "svg":
        return Response(
            timeline_svg(timing),
            media_type="image/svg+xml",
            headers={"Content-Security-Policy": SVG_POLICY, "Cache-Control": "no-store"},
        )
    if extension not in DOWNLOADS:
        raise InvalidInput("format", "Format inconnu : pdf, csv, md ou json.")
    fmt, media_type = DOWNLOADS[extension]
    name = f"rapport-{timing.crisis_id[:8]}.{extension}"
    return Response(
        render(timing, fmt),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _timing(request: Request, crisis_id: str) -> TimingReport:
    service = service_of(request)
    with service.bus.reading() as uow:
        return crisis_report(uow, crisis_id, now=service.clock.now())


@router.get("/rapports/{crisis_id}/chronologie.svg")
def timeline(request: Request, crisis_id: str, session: CurrentUser) -> Response:
    return report_download(_timing(request, crisis_id), "svg")


@router.get("/rapports/{crisis_id}/rapport.{extension}")
def download(request: Request, crisis_id: str, extension: str, session: CurrentUser) -> Response:
    return report_download(_timing(request, crisis_id), extension)
