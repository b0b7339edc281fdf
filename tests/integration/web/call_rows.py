"""Phone calls of an event, written as the dispatcher leaves them (one of each outcome), for
the pages that show them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from channels.contract import RecipientKind
from crisis.bootstrap import Service
from crisis.delivery.planning import PlannedDelivery
from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.messages import Message, MessagePurpose, MessageTexts, MessageType
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.context import Actor
from crisis.store.tables import deliveries

# name, number, then the delivery's columns once the dispatcher is done with it.
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("Maire d'Évry", "+33612345678", {"status": "accepted", "person_outcome": "acknowledged"}),
    ("Maire de Corbeil", "+33623456789", {"status": "accepted", "person_outcome": None}),
    ("Maire de Ris", "+33634567890", {"status": "accepted", "person_outcome": "message_left"}),
    (
        "Maire de Massy",
        "+33645678901",
        {
            "status": "pending",
            "attempts": 1,
            "last_error": "Appel : ligne occupée (SIP 486 Busy Here).",
        },
    ),
    (
        "Maire de Grigny",
        "+33656789012",
        {
            "status": "failed",
            "attempts": 3,
            "last_error": "Appel : pas de réponse (sonnerie sans décroché pendant 30 s).",
        },
    ),
    (
        "Maire d'Étampes",
        "+33667890123",
        {
            "status": "failed",
            "attempts": 2,
            "last_error": "Appel : appel refusé par le correspondant (SIP 603 Decline).",
        },
    ),
    (
        "Maire de Savigny",
        "+33678901234",
        {
            "status": "failed",
            "attempts": 1,
            "last_error": "Appel : numéro inconnu (SIP 404 Not Found).",
        },
    ),
    ("Maire de Palaiseau", "+33689012345", {"status": "accepted", "person_outcome": "declined"}),
]


def open_exercise(service: Service, title: str = "Crue de l'Orge") -> str:
    """An exercise event, its COD activated: the page shows its forms and its calls."""
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title=title,
            kind=CrisisKind.INONDATION,
            exercise=True,
            activation=CodDecision(decided_by="la préfète", synergi_ref="SYN-1"),
        ),
        actor=Actor(name="cadre", role="duty_officer"),
    )
    return crisis_id


def write_calls(service: Service, crisis_id: str, *, exercise: bool) -> None:
    now = service.clock.now()
    message = Message(
        id=f"appels-{crisis_id[:20]}",
        crisis_id=crisis_id,
        purpose=MessagePurpose.FACTUAL,
        msg_type=MessageType.ALERT,
        audiences=(Audience.ELUS,),
        lists=(),
        texts=MessageTexts.parse({"default": "Crue : évitez les berges."}),
        exercise=exercise,
        created_by="cellule",
        created_at=now,
    )
    planned = [
        PlannedDelivery(
            audience="elus",
            channel="voice",
            recipient_kind=RecipientKind.PHONE,
            recipient=number,
            recipient_name=name,
        )
        for name, number, _ in CALLS
    ]
    ids = [f"appel-{i}-{crisis_id[:8]}" for i in range(len(CALLS))]
    with service.bus.unit_of_work() as uow:
        uow.outbox.add_message(message)
        uow.outbox.add_deliveries(message, planned, ids=ids, now=now)
        for index, (delivery_id, (_, _, state)) in enumerate(zip(ids, CALLS, strict=True)):
            at = now + timedelta(minutes=index)
            values = {"attempts": 1, **state}
            if values["status"] == "accepted":
                values["accepted_at"] = at
            elif values["status"] == "failed":
                values["finished_at"] = at
            uow.connection.execute(
                update(deliveries).where(deliveries.c.id == delivery_id).values(**values)
            )
        uow.commit()
