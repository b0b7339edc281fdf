"""Step-up verification: an approval (or a COD activation, a CIP order) that the settings
guard needs the person verified within the last minutes; otherwise the console asks for the
password (or a passkey) again and does nothing meanwhile. Passkeys themselves are tested in
the browser (tests/browser/test_passkeys.py), with Chromium's virtual authenticator."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.drafts import DraftState
from crisis.domain.vocabulary import Audience
from crisis.services.context import Actor
from crisis.settings import Settings
from crisis.store.journal import SYSTEM_STREAM
from crisis.store.passkeys_repository import Passkey
from tests.integration.web.conftest import PASSWORD, hidden, new_client, sign_in
from tests.integration.web.test_approval_pages import _submitted


def _state(service: Service, crisis_id: str, draft_id: str) -> DraftState:
    with service.bus.reading() as uow:
        draft = uow.drafts.get(draft_id)
    assert draft is not None and draft.crisis_id == crisis_id
    return draft.state


def _approve(client: TestClient, crisis_id: str, draft_id: str, csrf: str) -> str:
    answer = client.post(
        f"/validation/{crisis_id}/{draft_id}/valider",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    return answer.headers.get("location", str(answer.status_code))


def _kinds(service: Service) -> list[tuple[str, object]]:
    with service.bus.reading() as uow:
        return [
            (e.kind, e.payload.get("method"))
            for e in uow.journal.entries(SYSTEM_STREAM, after_seq=0, limit=1000)
        ]


def test_a_stale_verification_is_asked_again_before_an_approval(
    service: Service, settings: Settings, clock: ManualClock, people: dict[str, str]
) -> None:
    settings.approval_audiences = [Audience.ELUS]
    settings.step_up_approve_message = "password"
    settings.step_up_minutes = 5
    crisis_id, draft_id = _submitted(service, Actor("web-comm_cell", "comm_cell", "u-cell"))
    client = new_client(service)
    csrf = sign_in(client, people["prefect"])
    clock.advance(timedelta(minutes=6))  # the sign-in's verification has gone stale
    where = _approve(client, crisis_id, draft_id, csrf)
    assert where == "/verification?action=approve_message&suite=%2Fvalidation"
    assert _state(service, crisis_id, draft_id) is DraftState.SUBMITTED  # nothing done
    page = html.unescape(client.get(where).text)
    assert "Pour valider un message" in page and "moins de 5 minutes" in page

    wrong = client.post(
        "/verification/mot-de-passe",
        data={"csrf_token": csrf, "password": "pas-le-bon", "action": "approve_message"},
        follow_redirects=False,
    )
    assert wrong.status_code == 401
    assert _approve(client, crisis_id, draft_id, csrf).startswith("/verification")

    right = client.post(
        "/verification/mot-de-passe",
        data={
            "csrf_token": csrf,
            "password": PASSWORD,
            "action": "approve_message",
            "suite": "/validation",
        },
        follow_redirects=False,
    )
    assert right.headers["location"] == "/validation"
    assert _approve(client, crisis_id, draft_id, csrf) != "/verification"
    assert _state(service, crisis_id, draft_id) is not DraftState.SUBMITTED
    kinds = _kinds(service)
    assert ("auth.StepUpFailed", "password") in kinds
    assert ("auth.StepUpVerified", "password") in kinds


def test_a_passkey_policy_refuses_the_password(
    service: Service, settings: Settings, people: dict[str, str]
) -> None:
    settings.step_up_activate_cod = "passkey"
    client = new_client(service)
    csrf = sign_in(client, people["duty_officer"])  # a password sign-in: not a passkey
    answer = client.post(
        "/evenements/inconnu/cod",
        data={"csrf_token": csrf, "decided_by": "préfet"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == (
        "/verification?action=activate_cod&suite=%2Fevenements%2Finconnu"
    )
    page = html.unescape(client.get(answer.headers["location"]).text)
    assert "avec une clé d'accès" in page and "enregistrez-en une" in page
    refused = client.post(
        "/verification/mot-de-passe",
        data={"csrf_token": csrf, "password": PASSWORD, "action": "activate_cod"},
        follow_redirects=False,
    )
    assert refused.status_code == 403


def test_no_step_up_by_default(service: Service, people: dict[str, str]) -> None:
    client = new_client(service)
    csrf = sign_in(client, people["prefect"])
    answer = client.post(
        "/evenements/inconnu/cip",
        data={"csrf_token": csrf, "numero_unique": "0800 000 000"},
        follow_redirects=False,
    )
    assert answer.status_code == 404  # the command ran (and found no such event)
    assert hidden(client.get("/").text, "csrf_token")


def test_adding_a_passkey_needs_a_recent_verification(
    service: Service, clock: ManualClock, people: dict[str, str]
) -> None:
    client = new_client(service)
    csrf = sign_in(client, people["comm_cell"])
    fresh = client.post("/compte/cles-d-acces/options", data={"csrf_token": csrf})
    assert fresh.status_code == 200 and "challenge" in fresh.json()["options"]
    clock.advance(timedelta(minutes=6))
    page = html.unescape(client.get("/compte/cles-d-acces").text)
    assert "confirmez d'abord votre identité" in page
    assert 'data-passkey="register"' not in page
    stale = client.post("/compte/cles-d-acces/options", data={"csrf_token": csrf})
    assert stale.status_code == 403
    assert "Confirmez d'abord votre identité" in stale.json()["error"]


def test_the_administrator_revokes_the_passkeys_of_a_lost_phone(
    service: Service, people: dict[str, str]
) -> None:
    prefect = people["prefect"]
    with service.bus.unit_of_work() as uow:
        user = uow.users.by_name(prefect)
        assert user is not None
        uow.passkeys.add(
            Passkey(
                id="cle-1",
                user_id=user.id,
                credential_id="identifiant-de-la-cle",
                public_key="cle-publique",
                sign_count=0,
                name="Téléphone du préfet",
                created_at=uow.now,
                last_used_at=None,
            )
        )
        uow.commit()
    admin = new_client(service)
    csrf = sign_in(admin, people["admin"])
    page = " ".join(html.unescape(admin.get("/administration").text).split())
    assert "Connexion : clé d'accès (1), mot de passe" in page
    revoked = admin.post(
        f"/administration/utilisateurs/{prefect}/cles-d-acces",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert revoked.headers["location"] == "/administration?fait=cles"
    with service.bus.reading() as uow:
        assert uow.passkeys.of_user(user.id) == []
    assert ("command.RevokePasskeys", None) in _kinds(service)
    again = admin.post(
        f"/administration/utilisateurs/{prefect}/cles-d-acces",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert again.status_code == 409
