"""The real application over the real store, with users of every role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.domain.commands import AddUser, CodDecision, OpenCrisis
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.services.roles import Role


@pytest.fixture
def tokens(service: Service) -> dict[str, str]:
    found: dict[str, str] = {}
    for role in Role:
        result = service.bus.handle(
            AddUser(name=f"user-{role.value}", role=role.value), actor=SYSTEM_ACTOR
        )
        found[role.value] = result["token"]
    return found


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(create_app(service))


@pytest.fixture
def crisis_id(service: Service) -> str:
    """A real event, its COD activated by the duty officer."""
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de la Seine",
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-7"),
        ),
        actor=Actor(name="cadre", role="duty_officer"),
    )
    return crisis_id


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}
