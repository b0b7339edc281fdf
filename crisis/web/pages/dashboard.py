"""Le tableau de bord (`/`): every open event, its clocks, its last alerts, its CIP.

The list refreshes by short polling (htmx, every second) of a fragment, not by Server-Sent
Events: a poll survives restarts and proxies that buffer streams, and holds no connection or
thread per open screen on a small server; a met clock or a new alert shows within the second.
A poll that finds nothing changed answers 304 after one statement (`crisis.web.change_marker`,
`crisis.store.quick_reads`; docs/performances.md compares it with a stream); the countdowns
run in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from crisis.domain.commands import AddUser
from crisis.domain.messages import ChannelName
from crisis.entity_tags import tag_matches
from crisis.labels import channel_label
from crisis.services.registry import may_run
from crisis.store.quick_reads import Unavailable
from crisis.web.change_marker import SERVICE_TIME_HEADER, UNSEEN_KINDS, ChangeMarker
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import (
    SESSION_COOKIE,
    CurrentUser,
    NotSignedIn,
    SignedIn,
    service_of,
    session_in,
)
from crisis.web.views import CrisisSummary, open_crises

router = console_router()
# The fragment every open dashboard polls each second: tried first (`install_polls`).
polls = console_router()

# Published by the service itself: there from the start, nothing to configure.
_BUILT_IN = frozenset({ChannelName.FEED, ChannelName.CAP})


@dataclass(frozen=True, slots=True)
class FirstSteps:
    """What an administrator sets up first, and how far it has got."""

    users: int
    contacts: int
    channels: list[str]


def _first_steps(request: Request, session: SignedIn) -> FirstSteps | None:
    """For the administrator only: users, contacts and channels."""
    if not may_run(session.user.role, AddUser):
        return None
    service = service_of(request)
    with service.bus.reading() as uow:
        users, contacts = len(uow.users.all()), uow.contacts.count()
    channels = [channel_label(name) for name in service.catalog.production if name not in _BUILT_IN]
    return FirstSteps(users=users, contacts=contacts, channels=channels)


def _crises(request: Request) -> tuple[list[CrisisSummary], str]:
    """The open events and the fragment's tag (remembered for the polls that follow)."""
    service = service_of(request)
    now = service.clock.now()
    with service.bus.reading() as uow:
        marker = uow.crises.change_marker()
        crises = open_crises(uow, service.situations, now)
    return crises, _marker(request).remember(marker, crises, now)


def _marker(request: Request) -> ChangeMarker:
    marker: ChangeMarker = request.app.state.dashboard_marker
    return marker


@router.get("/")
def dashboard(request: Request, session: CurrentUser) -> Response:
    crises, tag = _crises(request)
    first_steps = None if crises else _first_steps(request, session)
    return page(
        request,
        "dashboard.html.j2",
        {"crises": crises, "first_steps": first_steps, "tag": tag, "now": _now(request)},
        session=session,
    )


def _now(request: Request) -> str:
    return service_of(request).clock.now().isoformat(timespec="milliseconds")


def _poll(request: Request) -> Response:
    """The session, the marker and, when something changed, the events: one read."""
    service = service_of(request)
    known = _marker(request)
    offered = request.headers.get("if-none-match")
    now = service.clock.now()
    with service.bus.reading() as uow:
        session = session_in(uow, request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise NotSignedIn()
        marker = uow.crises.change_marker()
        tag = known.tag(marker, now)
        since = None if tag is not None else known.moved_from(marker, now)
        if since is not None and uow.journal.only_appended(
            UNSEEN_KINDS, since=since, marker=marker
        ):
            tag = known.carry(since, marker)
        crises = None
        if tag is None or not tag_matches(offered, tag):
            crises = open_crises(uow, service.situations, now)
    if crises is not None:
        tag = known.remember(marker, crises, now)
    assert tag is not None
    headers = {"ETag": tag, "Cache-Control": "no-store", SERVICE_TIME_HEADER: _now(request)}
    if crises is None or tag_matches(offered, tag):
        return Response(status_code=304, headers=headers)
    answer = page(request, "dashboard_crises.html.j2", {"crises": crises}, session=session)
    answer.headers.update(headers)
    return answer


async def _unchanged(request: Request) -> Response | None:
    """304 when the tag the browser holds still holds, after the quick reads only (the
    session and the marker in one statement, on the event loop: `crisis.store.quick_reads`);
    None when the list must be read (or the session looked at) by `_poll`."""
    offered = request.headers.get("if-none-match")
    if not offered:
        return None
    service = service_of(request)
    quick = service.quick_reads
    known = _marker(request)
    now = service.clock.now()
    marker = await quick.signed_in_marker(request.cookies.get(SESSION_COOKIE), now)
    if marker is None:
        return None  # `_poll` sends it to the sign-in form
    tag = known.tag(marker, now)
    if tag is None:
        since = known.moved_from(marker, now)
        if since is not None and await quick.only_appended(
            UNSEEN_KINDS, since=since, marker=marker
        ):
            tag = known.carry(since, marker)
    if tag is None or not tag_matches(offered, tag):
        return None
    headers = {"ETag": tag, "Cache-Control": "no-store", SERVICE_TIME_HEADER: _now(request)}
    return Response(status_code=304, headers=headers)


@polls.get("/tableau/evenements")
async def dashboard_fragment(request: Request) -> Response:
    # An unchanged list answers 304 from the event loop; a changed one (or quick reads that
    # could not run at once) takes one hop to the thread pool, for a read of the list.
    try:
        unchanged = await _unchanged(request)
    except Unavailable:
        unchanged = None
    if unchanged is not None:
        return unchanged
    return await run_in_threadpool(_poll, request)
