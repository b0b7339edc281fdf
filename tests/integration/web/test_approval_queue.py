"""The validation queue: real events before exercises, the nearest deadline first, the time
left shown; a fragment the page polls, so that a message submitted meanwhile shows by itself."""

from __future__ import annotations

import html
from datetime import timedelta

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import CodDecision, OpenCrisis, SendMessage
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.settings import Settings
from tests.integration.web.conftest import new_client, sign_in

CELL = Actor("web-comm_cell", "comm_cell", "u-cell")


def _waiting(service: Service, title: str, *, exercise: bool, minutes_ago: int) -> None:
    crisis_id = service.bus.handle(
        OpenCrisis(
            title=title,
            kind=CrisisKind.AUTRE,
            exercise=exercise,
            activation=CodDecision(
                decided_by="la préfète",
                synergi_ref="SYN-1",
                decided_at=service.clock.now() - timedelta(minutes=minutes_ago),
            ),
        ),
        actor=SYSTEM_ACTOR,
    )
    service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", f"{title} : message aux élus."),),
            audiences=(Audience.ELUS,),
        ),
        actor=CELL,
    )


def test_real_first_then_the_nearest_deadline_with_the_time_left(
    service: Service, settings: Settings, clock: ManualClock, people: dict[str, str]
) -> None:
    settings.approval_audiences = [Audience.ELUS]
    _waiting(service, "Exercice urgent", exercise=True, minutes_ago=55)
    _waiting(service, "Réel tranquille", exercise=False, minutes_ago=5)
    client = new_client(service)
    sign_in(client, people["prefect"])
    page = html.unescape(client.get("/validation").text)
    assert 'hx-get="/validation/file" hx-trigger="every 10s"' in page
    assert "reste 55 min avant l'échéance" in page

    # Submitted while the page is open: the next poll of the fragment brings it, in its place.
    _waiting(service, "Réel pressant", exercise=False, minutes_ago=50)
    clock.advance(timedelta(minutes=1))
    fragment = html.unescape(client.get("/validation/file").text)
    order = [fragment.index(t) for t in ("Réel pressant", "Réel tranquille", "Exercice urgent")]
    assert order == sorted(order)
    assert "reste 9 min avant l'échéance" in fragment
    assert "reste 4 min avant l'échéance" in fragment  # the exercise, still after the real
    assert "<html" not in fragment
    clock.advance(timedelta(minutes=5))
    later = html.unescape(client.get("/validation/file").text)
    assert "échéance dépassée depuis 1 min" in later
