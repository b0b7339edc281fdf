"""Accounts an administrator can trust: a deactivated user's session and token end at once
(console and `crisis user deactivate`), a new password or a new role ends the user's other
sessions, the administrator sees the recent failed sign-ins."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crisis.bootstrap import Service
from crisis.cli import app
from crisis.domain.commands import AddUser
from crisis.services.context import SYSTEM_ACTOR
from crisis.store.journal import SYSTEM_STREAM
from tests.integration.cli.test_cli import database_url as database_url  # the fixture
from tests.integration.web.conftest import PASSWORD, hidden, new_client, sign_in


def _signed_in(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def _system_kinds(service: Service) -> list[str]:
    with service.bus.reading() as uow:
        return [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]


def test_a_deactivated_user_is_signed_out_at_the_next_request_and_their_token_refused(
    service: Service, people: dict[str, str]
) -> None:
    token = service.bus.handle(
        AddUser(name="Claire Martin", role="duty_officer", password=PASSWORD), actor=SYSTEM_ACTOR
    )["token"]
    admin = new_client(service)
    claire = TestClient(admin.app, base_url="https://console.test")  # one application
    sign_in(claire, "Claire Martin")
    assert claire.get("/api/v1/crises", headers={"Authorization": f"Bearer {token}"}).is_success
    admin_token = sign_in(admin, people["admin"])
    done = admin.post(
        "/administration/utilisateurs/Claire%20Martin/desactiver",
        data={"csrf_token": admin_token},
    )
    assert "Compte désactivé : ses sessions sont fermées" in html.unescape(done.text)
    assert "désactivé</span>" in done.text
    assert not _signed_in(claire)
    api = claire.get("/api/v1/crises", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    # Signing in again is refused with the usual answer, which tells nothing of the account.
    again = new_client(service)
    form = again.get("/connexion")
    refused = again.post(
        "/connexion",
        data={
            "username": "Claire Martin",
            "password": PASSWORD,
            "csrf_token": hidden(form.text, "csrf_token"),
        },
    )
    assert "Nom d'utilisateur ou mot de passe incorrect." in html.unescape(refused.text)

    admin.post(
        "/administration/utilisateurs/Claire%20Martin/reactiver", data={"csrf_token": admin_token}
    )
    sign_in(claire, "Claire Martin")
    assert _signed_in(claire)
    kinds = _system_kinds(service)
    assert "command.DeactivateUser" in kinds and "command.ReactivateUser" in kinds
    # The administrator cannot deactivate their own account.
    own = admin.post(
        f"/administration/utilisateurs/{people['admin']}/desactiver",
        data={"csrf_token": admin_token},
    )
    assert own.status_code == 409
    assert "votre propre compte" in html.unescape(own.text)


def test_a_new_password_or_role_ends_the_other_sessions(
    service: Service, people: dict[str, str]
) -> None:
    phone, desk, admin = new_client(service), new_client(service), new_client(service)
    sign_in(phone, people["comm_cell"])
    sign_in(desk, people["comm_cell"])
    admin_token = sign_in(admin, people["admin"])
    name = people["comm_cell"]
    admin.post(
        f"/administration/utilisateurs/{name}/mot-de-passe",
        data={"csrf_token": admin_token, "password": "un-mot-de-passe-neuf"},
    )
    assert not _signed_in(phone) and not _signed_in(desk)
    sign_in(phone, name, "un-mot-de-passe-neuf")
    admin.post(
        f"/administration/utilisateurs/{name}/role",
        data={"csrf_token": admin_token, "role": "auditor"},
    )
    assert not _signed_in(phone)
    # The administrator who changes their own password keeps the session doing it.
    admin.post(
        f"/administration/utilisateurs/{people['admin']}/mot-de-passe",
        data={"csrf_token": admin_token, "password": "un-autre-mot-de-passe"},
    )
    assert _signed_in(admin)


def test_the_administrator_sees_the_recent_failures(
    service: Service, people: dict[str, str]
) -> None:
    guesser = new_client(service)
    for _ in range(6):
        form = guesser.get("/connexion").text
        credentials = {"username": people["prefect"], "password": "mauvais"}
        guesser.post("/connexion", data={**credentials, "csrf_token": hidden(form, "csrf_token")})
    admin = new_client(service)
    sign_in(admin, people["admin"])
    page = html.unescape(admin.get("/administration").text)
    assert "Échecs de connexion des dernières 24 heures" in page
    assert f"Nom {people['prefect'].casefold()}" in page
    assert "Adresse testclient" in page
    assert "ralenti</span> jusqu'à" in page
    assert "Lever les délais de connexion de web-prefect" in page


@pytest.mark.parametrize("command", ["deactivate", "reactivate"])
def test_the_commands_of_the_cli(
    database_url: str, service: Service, people: dict[str, str], command: str
) -> None:
    client = new_client(service)
    sign_in(client, people["comm_cell"])
    name = people["comm_cell"]

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env={"CRISIS_DATABASE_URL": database_url})
        return result.exit_code, result.stdout + result.stderr

    code, out = invoke("user", "deactivate", name)
    assert code == 0, out
    assert "désactivé" in out
    assert not _signed_in(client)
    if command == "reactivate":
        code, out = invoke("user", "reactivate", name)
        assert code == 0, out
        sign_in(client, name)
        assert _signed_in(client)
    else:
        code, out = invoke("user", "deactivate", name)
        assert code != 0
        assert "déjà désactivé" in out
