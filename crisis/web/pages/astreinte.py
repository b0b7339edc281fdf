"""L'astreinte (`/astreinte`): who is on call now, the coming week, the roster import, Telegram.

Who is on call is the roster's read model (`on_call_now`); the week is the stored shifts laid
out day by day in Paris time. The roster file is imported like the directory: parsed and the
import handler rehearsed (nothing kept) for a preview or every error with its line, then
applied. A member's one-time Telegram binding code (`IssueBindCode`) is shown once, with a QR
code of the link that opens the bot with the code (`https://t.me/<robot>?start=<code>`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from fastapi import Request, Response
from markupsafe import Markup

from crisis.bootstrap import Service
from crisis.clock import PARIS, ensure_utc
from crisis.domain.contacts import InvalidContacts
from crisis.domain.errors import InvalidInput
from crisis.domain.oncall import CELL_ROLE_LABELS, CellRole, ImportRoster, IssueBindCode
from crisis.labels import channel_label
from crisis.oncall.csv_import import parse_roster_csv
from crisis.services.oncall_views import on_call_now
from crisis.web.commands import allowed_to, run
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of
from crisis.web.uploads import carried, preview, read_upload, rehearsed

router = console_router()

WEEK_DAYS = 7
DAY_NAMES = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def _week(request: Request, start: datetime) -> dict[str, Any]:
    """Role by role, day by day (Paris), who holds a shift that day and from when to when."""
    first = start.astimezone(PARIS).date()
    days = [first + timedelta(days=n) for n in range(WEEK_DAYS)]
    with service_of(request).bus.reading() as uow:
        shifts = uow.oncall.shifts()
        names = {m.id: m.name for m in uow.oncall.members()}
    grid: dict[CellRole, list[list[str]]] = {role: [[] for _ in days] for role in CellRole}
    for shift in shifts:
        begins = ensure_utc(shift.starts_at).astimezone(PARIS)
        ends = ensure_utc(shift.ends_at).astimezone(PARIS)
        for index, day in enumerate(days):
            day_start = datetime.combine(day, time(0), tzinfo=PARIS)
            if begins < day_start + timedelta(days=1) and ends > day_start:
                shown_from = max(begins, day_start).strftime("%H h %M")
                shown_to = min(ends, day_start + timedelta(days=1)).strftime("%H h %M")
                shown_to = "24 h 00" if ends >= day_start + timedelta(days=1) else shown_to
                grid[shift.role][index].append(
                    f"{names.get(shift.member_id, '?')} ({shown_from}–{shown_to})"
                )
    return {
        "days": [f"{DAY_NAMES[d.weekday()]} {d.strftime('%d/%m')}" for d in days],
        "rows": [(CELL_ROLE_LABELS[role], cells) for role, cells in grid.items() if any(cells)],
    }


def _qr_svg(link: str) -> Markup:
    image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :].replace(
        "<svg ", '<svg role="img" aria-label="QR code du lien vers le robot Telegram" ', 1
    )
    return Markup(svg)  # noqa: S704 - drawn by the qrcode library from our own link


def contact_methods(service: Service) -> list[str]:
    """How a page reaches a member, in order (« appel téléphonique après 3 min »); the
    channels the service has no configuration for are said to be so."""
    configured = service.catalog.production
    said = []
    for name, minutes in service.settings.callout_methods.items():
        when = "tout de suite" if minutes == 0 else f"après {minutes} min"
        missing = "" if name in configured else " (non configuré)"
        said.append(f"{channel_label(name)} {when}{missing}")
    return said


def _roster_page(
    request: Request, session: SignedIn, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    service = service_of(request)
    now = service.clock.now()
    with service.bus.reading() as uow:
        current = [
            {**who, "ends": datetime.fromisoformat(who["ends_at"])} for who in on_call_now(uow, now)
        ]
        members = uow.oncall.members()
    context: dict[str, Any] = {
        "now": now,
        "on_call": current,
        "missing": [
            label
            for role, label in CELL_ROLE_LABELS.items()
            if role.value not in {c["role"] for c in current}
        ],
        "week": _week(request, now),
        "members": members,
        "bind": None,
        "problems": [],
        "file_error": "",
        "report": None,
        "carried": {},
        "bot": service.settings.telegram_bot_username,
        "methods": contact_methods(service),
        **(extra or {}),
    }
    return page(request, "astreinte.html.j2", context, session=session, status_code=status)


@router.get("/astreinte")
def roster(request: Request, session: CurrentUser) -> Response:
    return _roster_page(request, session)


@router.post("/astreinte/import", dependencies=[allowed_to(ImportRoster)])
async def preview_roster(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    try:
        file_name, content = await read_upload(form, "fichier")
    except InvalidInput as error:
        return _roster_page(request, session, {"file_error": error.message}, status=422)
    parsed = parse_roster_csv(content)
    if parsed.problems:
        return _roster_page(request, session, {"problems": parsed.problems}, status=422)
    command = ImportRoster(shifts=tuple(parsed.shifts), source="csv")
    try:
        report = await rehearsed(request, session, command)
    except InvalidContacts as error:
        return _roster_page(request, session, {"problems": error.problems}, status=422)
    return _roster_page(request, session, preview(report, file_name, content))


@router.post("/astreinte/import/appliquer", dependencies=[allowed_to(ImportRoster)])
def apply_roster(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    _, content = carried(form)
    parsed = parse_roster_csv(content)
    try:
        if parsed.problems:
            raise InvalidContacts(parsed.problems)
        report = run(
            request, session, form, ImportRoster(shifts=tuple(parsed.shifts), source="csv")
        )
    except InvalidContacts as error:
        return _roster_page(request, session, {"problems": error.problems}, status=422)
    return _roster_page(request, session, {"applied": report})


@router.post("/astreinte/membres/{member_id}/code-telegram")
def bind_code(request: Request, member_id: str, session: CurrentUser, form: PostedForm) -> Response:
    issued = run(request, session, form, IssueBindCode(member=member_id), keyed=False)
    bot = service_of(request).settings.telegram_bot_username
    link = f"https://t.me/{bot}?start={issued['code']}" if bot else ""
    bind = {
        "member": issued["member"],
        "code": issued["code"],
        "expires_at": datetime.fromisoformat(str(issued["expires_at"])),
        "link": link,
        "qr": _qr_svg(link) if link else None,
    }
    return _roster_page(request, session, {"bind": bind})
