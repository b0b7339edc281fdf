"""The console through the real application: users with passwords, a signed-in client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.domain.commands import AddUser
from crisis.services.context import SYSTEM_ACTOR
from crisis.services.roles import Role
from crisis.settings import Settings

PASSWORD = "mot-de-passe-de-test"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        approval_audiences=[],
        signin_failure_delay_seconds=0,
        prefecture_name="Préfecture de l'Essonne",
    )


@pytest.fixture
def people(service: Service) -> dict[str, str]:
    """One user of each role, with a password; name by role."""
    names: dict[str, str] = {}
    for role in Role:
        name = f"web-{role.value}"
        service.bus.handle(
            AddUser(name=name, role=role.value, password=PASSWORD), actor=SYSTEM_ACTOR
        )
        names[role.value] = name
    return names


def new_client(service: Service) -> TestClient:
    return TestClient(create_app(service), base_url="https://console.test")


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden field {name}"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in; the page's CSRF token afterwards."""
    form = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={
            "username": name,
            "password": password,
            "csrf_token": hidden(form.text, "csrf_token"),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:3000]
    return hidden(client.get("/").text, "csrf_token")


@pytest.fixture
def client(service: Service) -> TestClient:
    return new_client(service)
