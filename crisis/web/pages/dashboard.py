"""Le tableau de bord (`/`): every open event, its clocks, its last alerts, its CIP.

The clocks refresh by short polling (htmx, every second) of a fragment, not by Server-Sent
Events: a poll is one small read, survives restarts and proxies that buffer streams, and holds
no connection or thread per open screen on a small server; a met clock or a new alert shows
within the second.
"""

from __future__ import annotations

from fastapi import Request, Response

from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, service_of
from crisis.web.views import open_crises

router = console_router()


def _crises(request: Request) -> list[object]:
    service = service_of(request)
    with service.bus.reading() as uow:
        return list(open_crises(uow, service.clock.now()))


@router.get("/")
def dashboard(request: Request, session: CurrentUser) -> Response:
    return page(request, "dashboard.html.j2", {"crises": _crises(request)}, session=session)


@router.get("/tableau/evenements")
def dashboard_fragment(request: Request, session: CurrentUser) -> Response:
    return page(request, "dashboard_crises.html.j2", {"crises": _crises(request)}, session=session)
