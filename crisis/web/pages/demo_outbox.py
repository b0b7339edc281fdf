"""La boîte d'envoi de démonstration (`/demo/boite-d-envoi`): what the demonstration channels
« sent », newest first. Mounted on a demonstration database only (`crisis demo`)."""

from __future__ import annotations

from fastapi import Request, Response

from crisis.store.demonstration import sent_messages
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, service_of

router = console_router()


@router.get("/demo/boite-d-envoi")
def demo_outbox(request: Request, session: CurrentUser) -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        sent = sent_messages(uow.connection)
        titles = {c.id: c.title for c in uow.crises.find(states=None)}
    return page(request, "demo_outbox.html.j2", {"sent": sent, "titles": titles}, session=session)
