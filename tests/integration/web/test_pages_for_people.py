"""Pages for people: an unknown address or a wrong method gets a French page in the console
with a way back (the API keeps its JSON); the dashboard lists the most urgent event first;
no command or environment variable on the pages."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import CodDecision, DeclareCellOperational, OpenCrisis
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import SYSTEM_ACTOR
from tests.integration.web.conftest import new_client, sign_in

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_an_unknown_address_gets_a_french_page_with_a_way_back(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["duty_officer"])
    missing = client.get("/evenemnts/nouveau", headers=BROWSER)
    assert missing.status_code == 404
    text = html.unescape(missing.text)
    assert "<h1>Page introuvable</h1>" in text
    assert 'href="/">Retour au tableau de bord</a>' in text
    assert "fr-header" in text  # the console's layout
    assert "script-src 'self'" in missing.headers["content-security-policy"]
    wrong = client.get("/deconnexion", headers=BROWSER)
    assert wrong.status_code == 405
    assert "Action impossible à cette adresse" in html.unescape(wrong.text)
    assert "POST" in wrong.headers["allow"]
    # A program keeps the API's answer.
    api = client.get("/api/v1/nulle-part", headers=BROWSER)
    assert api.headers["content-type"].startswith("application/json")
    assert client.get("/evenemnts").headers["content-type"].startswith("application/json")


def test_the_sign_in_page_names_no_command(client: TestClient) -> None:
    page = html.unescape(client.get("/connexion").text)
    assert "crisis user" not in page
    assert "demandez à l'administrateur du service" in page


def _open(service: Service, title: str, *, exercise: bool, minutes_ago: int) -> str:
    crisis_id: str = service.bus.handle(
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
    return crisis_id


def test_the_dashboard_lists_the_most_urgent_first(
    service: Service, clock: ManualClock, people: dict[str, str]
) -> None:
    _open(service, "Réel récent", exercise=False, minutes_ago=5)
    late = _open(service, "Réel en retard", exercise=False, minutes_ago=70)
    _open(service, "Réel à 40 minutes", exercise=False, minutes_ago=40)
    _open(service, "Exercice en retard", exercise=True, minutes_ago=80)
    service.bus.handle(DeclareCellOperational(crisis_id=late), actor=SYSTEM_ACTOR)
    client = new_client(service)
    sign_in(client, people["duty_officer"])
    page = html.unescape(client.get("/").text)
    order = [
        page.index(title)
        for title in ("Réel en retard", "Réel à 40 minutes", "Réel récent", "Exercice en retard")
    ]
    assert order == sorted(order)


def test_the_opening_form_shows_all_its_errors_at_once(
    client: TestClient, people: dict[str, str], service: Service
) -> None:
    token = sign_in(client, people["duty_officer"])
    response = client.post(
        "/evenements",
        data={"csrf_token": token, "nature": "reel", "activate": "oui", "kind": "inondation"},
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "Corrigez les 4 champs signalés" in text
    for field in ("title", "decided_by", "synergi_ref"):
        assert f'id="erreur-{field}"' in text
    assert "Confirmez qu'il s'agit d'un événement réel" in text
    assert 'href="#champ-title"' in text
    with service.bus.reading() as uow:
        assert uow.crises.find() == []
