"""The real application over the real store, with users of every role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.domain.commands import AddUser
from crisis.services.context import SYSTEM_ACTOR
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


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}
