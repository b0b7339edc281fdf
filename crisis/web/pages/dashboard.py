"""Le tableau de bord (`/`): every open event, its clocks, its last alerts, its CIP.

The clocks refresh by short polling (htmx, every second) of a fragment, not by Server-Sent
Events: a poll is one small read, survives restarts and proxies that buffer streams, and holds
no connection or thread per open screen on a small server; a met clock or a new alert shows
within the second.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from crisis.domain.commands import AddUser
from crisis.domain.messages import ChannelName
from crisis.labels import channel_label
from crisis.services.registry import may_run
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, SignedIn, service_of
from crisis.web.views import open_crises

router = console_router()

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


def _crises(request: Request) -> list[object]:
    service = service_of(request)
    with service.bus.reading() as uow:
        return list(open_crises(uow, service.situations, service.clock.now()))


@router.get("/")
def dashboard(request: Request, session: CurrentUser) -> Response:
    crises = _crises(request)
    first_steps = None if crises else _first_steps(request, session)
    return page(
        request,
        "dashboard.html.j2",
        {"crises": crises, "first_steps": first_steps},
        session=session,
    )


@router.get("/tableau/evenements")
def dashboard_fragment(request: Request, session: CurrentUser) -> Response:
    return page(request, "dashboard_crises.html.j2", {"crises": _crises(request)}, session=session)
