"""The préfet's queue: first after sign-in, the four-eyes rule shown, roles enforced."""

from __future__ import annotations

import html

from crisis.bootstrap import Service
from crisis.domain.commands import CodDecision, OpenCrisis, SendMessage
from crisis.domain.drafts import DraftState
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.context import Actor
from crisis.settings import Settings
from tests.integration.web.conftest import PASSWORD, hidden, new_client, sign_in


def _submitted(service: Service, author: Actor) -> tuple[str, str]:
    """A free-text message to the élus, held for approval: (crisis id, draft id)."""
    officer = Actor(name="web-duty_officer", role="duty_officer", user_id="u-officer")
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Feu de forêt",
            kind=CrisisKind.AUTRE,
            exercise=True,
            activation=CodDecision(decided_by="la préfète", synergi_ref="SYN-1"),
        ),
        actor=officer,
    )
    held = service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Feu de forêt : restez chez vous."),),
            audiences=(Audience.ELUS,),
        ),
        actor=author,
    )
    return crisis_id, held.draft_id


def test_the_prefect_sees_the_queue_first_and_approves(
    service: Service, settings: Settings, people: dict[str, str]
) -> None:
    settings.approval_audiences = [Audience.ELUS]
    crisis_id, draft_id = _submitted(service, Actor("web-comm_cell", "comm_cell", "u-cell"))
    client = new_client(service)
    form = client.get("/connexion").text
    response = client.post(
        "/connexion",
        data={
            "username": people["prefect"],
            "password": PASSWORD,
            "csrf_token": hidden(form, "csrf_token"),
            "suite": "/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/validation"
    queue = html.unescape(client.get("/validation").text)
    assert "Feu de forêt : restez chez vous." in queue
    assert "web-comm_cell" in queue
    token = hidden(queue, "csrf_token")
    answer = client.post(
        f"/validation/{crisis_id}/{draft_id}/valider",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    # Approved; this store has no channel configured, so the page says it did not go out
    # (the browser journey sends through the provider fakes).
    assert answer.status_code == 422
    assert "Message validé, mais il n'est pas parti" in html.unescape(answer.text)
    with service.bus.unit_of_work() as uow:
        assert uow.drafts.get(draft_id).state is DraftState.APPROVED


def test_one_s_own_message_cannot_be_approved_and_the_page_says_why(
    service: Service, settings: Settings, people: dict[str, str]
) -> None:
    settings.approval_audiences = [Audience.ELUS]
    crisis_id, draft_id = _submitted(service, Actor(people["prefect"], "prefect", "u-prefect"))
    client = new_client(service)
    token = sign_in(client, people["prefect"])
    queue = html.unescape(client.get("/validation").text)
    assert "règle des quatre yeux" in queue
    assert "Valider et envoyer" not in queue
    # Posted anyway: the domain refuses, as through the API (409), and nothing changes.
    response = client.post(
        f"/validation/{crisis_id}/{draft_id}/valider", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "Vous ne pouvez pas valider un message que vous avez rédigé" in html.unescape(
        response.text
    )
    with service.bus.unit_of_work() as uow:
        assert uow.drafts.get(draft_id).state is DraftState.SUBMITTED


def test_a_rejection_needs_a_reason_shown_beside_the_field(
    service: Service, settings: Settings, people: dict[str, str]
) -> None:
    settings.approval_audiences = [Audience.ELUS]
    crisis_id, draft_id = _submitted(service, Actor("web-comm_cell", "comm_cell", "u-cell"))
    client = new_client(service)
    token = sign_in(client, people["prefect"])
    url = f"/validation/{crisis_id}/{draft_id}/refuser"
    response = client.post(url, data={"csrf_token": token, "reason": " "})
    assert response.status_code == 422
    assert f'aria-describedby="erreur-motif-{draft_id}"' in response.text
    done = client.post(url, data={"csrf_token": token, "reason": "Chiffres à confirmer."})
    assert done.status_code == 200  # redirected to the queue
    with service.bus.unit_of_work() as uow:
        assert uow.drafts.get(draft_id).rejection_reason == "Chiffres à confirmer."


def test_other_roles_see_no_approval_button_and_get_403(
    service: Service, settings: Settings, people: dict[str, str]
) -> None:
    settings.approval_audiences = [Audience.ELUS]
    crisis_id, draft_id = _submitted(service, Actor("web-duty_officer", "duty_officer", "u-o"))
    client = new_client(service)
    token = sign_in(client, people["comm_cell"])
    queue = html.unescape(client.get("/validation").text)
    assert "Seul le préfet ou son délégué valide" in queue
    assert "Valider et envoyer" not in queue
    response = client.post(
        f"/validation/{crisis_id}/{draft_id}/valider", data={"csrf_token": token}
    )
    assert response.status_code == 403
    with service.bus.unit_of_work() as uow:
        assert uow.drafts.get(draft_id).state is DraftState.SUBMITTED
    # The auditor reads the event page, with no action offered.
    auditor = new_client(service)
    sign_in(auditor, people["auditor"])
    page = html.unescape(auditor.get(f"/evenements/{crisis_id}").text)
    assert "Feu de forêt" in page
    for action in ("Cellule opérationnelle", "Rédiger un message", "Clore", "Appeler la cellule"):
        assert action not in page
    assert auditor.get(f"/evenements/{crisis_id}/rapport.html").status_code == 200
    pdf = auditor.get(f"/evenements/{crisis_id}/rapport.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
