"""Every GET of the console and of the API reads on a read-only transaction: on SQLite a plain
BEGIN (no write lock that a deadline check or a fan-out would wait behind), on PostgreSQL a
READ ONLY transaction. The session lookup of every console page included."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.routing import iter_route_contexts
from sqlalchemy import event

from crisis.bootstrap import Service
from crisis.domain.commands import AddUser, CodDecision, OpenCrisis
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.store.engine import READ_ONLY
from tests.integration.web.conftest import new_client, sign_in

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u1")


@contextmanager
def write_transactions(service: Service) -> Iterator[list[str]]:
    """The transactions begun for writing while the block runs (their connection's options)."""
    begun: list[str] = []

    def on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(READ_ONLY):
            begun.append("écriture")

    event.listen(service.engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(service.engine, "begin", on_begin)


def test_no_get_of_the_console_or_the_api_takes_a_write_transaction(
    service: Service, people: dict[str, str]
) -> None:
    crisis_id = service.bus.handle(
        OpenCrisis(
            title="Crue de la Seine",
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-1"),
        ),
        actor=OFFICER,
    )
    contact = service.bus.handle(
        CreateContact(contact=ContactInput(name="Maire d'Évry", category="elu", email="m@e.fr")),
        actor=OFFICER,
    )
    values = {"crisis_id": crisis_id, "contact_id": contact.id, "name": "information_elus"}
    token = service.bus.handle(AddUser(name="lecteur", role="admin"), actor=SYSTEM_ACTOR)["token"]
    client = new_client(service)
    sign_in(client, people["admin"])

    def concrete(path: str) -> str:
        return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "inconnu"), path)

    gets = sorted(
        {
            route.path
            for route in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
            if route.path is not None and "GET" in (route.methods or ())
        }
    )
    assert len(gets) > 60
    writing: dict[str, int] = {}
    statuses: dict[int, int] = {}
    for path in gets:
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        with write_transactions(service) as begun:
            answer = client.get(concrete(path), headers=headers, follow_redirects=False)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        if begun:
            writing[path] = len(begun)
    assert writing == {}
    assert statuses.get(200, 0) > 40  # most of them really read something
