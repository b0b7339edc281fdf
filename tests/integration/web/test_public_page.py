"""The population's page as HTML: the State's design system, the newest message first with its
French date, the numéro unique while the CIP answers, no inline script or style, on both
databases (the browser test looks at it and runs axe-core)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.oncall import DeactivateCip, DeclareCipOperational, OrderCip
from crisis.services.context import Actor
from tests.integration.delivery.conftest import open_active, token_for
from tests.integration.delivery.test_broadcast import dispatch

PREFECT = Actor(name="préfète", role="prefect", user_id="u-prefect")
CIP_LINK = 'href="tel:+33-1-69-91-91-91"'


@pytest.fixture
def cell(service: Service) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(service, 'comm_cell')}"}


def publish(
    client: TestClient, service: Service, cell: dict[str, str], crisis_id: str, text: str
) -> None:
    response = client.post(
        f"/api/v1/crises/{crisis_id}/messages",
        json={"texts": {"default": text}, "audiences": ["public"], "channels": ["feed"]},
        headers=cell,
    )
    assert response.status_code == 201, response.text
    assert dispatch(service) == 1


def test_an_empty_page_is_a_dsfr_page_under_the_strict_policy(client: TestClient) -> None:
    response = client.get("/public")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    html = response.text
    assert html.startswith("<!doctype html>")
    assert '<html lang="fr"' in html
    assert "<title>Préfecture — informations de crise</title>" in html
    assert '<p class="fr-logo">République<br>Française</p>' in html
    assert '<p class="fr-header__service-title">Préfecture de l&#39;Essonne</p>' in html
    assert 'class="fr-footer"' in html
    assert "Aucune information en cours." in html
    for inline in ("<script", "<style", "style="):
        assert inline not in html
    for sheet in re.findall(r'<link rel="stylesheet" href="([^"?]+)', html):
        assert client.get(sheet).status_code == 200, sheet
    for feed in ("/public/feed.atom", "/public/feed.json", "/public/cap.atom"):
        assert f'href="{feed}"' in html


def test_the_newest_message_comes_first_dated_in_paris_time(
    client: TestClient, service: Service, cell: dict[str, str], clock: ManualClock
) -> None:
    crisis_id = open_active(service, exercise=False)
    publish(client, service, cell, crisis_id, "Crue : les berges de Corbeil sont fermées.")
    clock.advance(timedelta(minutes=27))
    publish(client, service, cell, crisis_id, "Crue : évacuation du quartier\ndes Tarterêts.")

    html = client.get("/public").text
    newest = html.index("évacuation du quartier\ndes Tarterêts")
    oldest = html.index("les berges de Corbeil sont fermées")
    assert newest < oldest
    # 21:15 UTC on 28 November is 22:15 in Paris; 27 minutes later, 22:42.
    assert "Publié le samedi 28 novembre 2026 à 22\u00a0h\u00a042" in html
    assert "Publié le samedi 28 novembre 2026 à 22\u00a0h\u00a015" in html
    assert html.index("La plus récente") < newest
    assert html.count("La plus récente") == 1


def test_the_numero_unique_shows_while_the_cip_answers_the_public(
    client: TestClient, service: Service
) -> None:
    real = open_active(service, exercise=False)
    drill = open_active(service, exercise=True)
    service.bus.handle(OrderCip(crisis_id=real, numero_unique="0169919191"), actor=PREFECT)
    service.bus.handle(OrderCip(crisis_id=drill, numero_unique="0800009191"), actor=PREFECT)
    assert CIP_LINK not in client.get("/public").text  # ordered, not yet answering

    service.bus.handle(DeclareCipOperational(crisis_id=real), actor=PREFECT)
    service.bus.handle(DeclareCipOperational(crisis_id=drill), actor=PREFECT)
    public = client.get("/public").text
    assert f"{CIP_LINK}>Appeler le 01 69 91 91 91</a>" in public
    assert "Cellule ouverte depuis le samedi 28 novembre 2026 à 22\u00a0h\u00a015" in public
    assert "(inondation, Corbeil-Essonnes et Évry-Courcouronnes)" in public
    assert "tous les jours, 24 h sur 24" in public
    assert "0 800 00 91 91" not in public
    exercise = client.get("/public/exercice").text
    assert 'href="tel:+33-800-00-91-91">Appeler le 0 800 00 91 91</a>' in exercise
    assert CIP_LINK not in exercise

    service.bus.handle(DeactivateCip(crisis_id=real, reason="Décrue"), actor=PREFECT)
    assert "Appeler le" not in client.get("/public").text
    assert "Appeler le 0 800 00 91 91" in client.get("/public/exercice").text


def test_the_exercise_page_says_exercice_and_the_real_page_never_does(
    client: TestClient, service: Service, cell: dict[str, str]
) -> None:
    drill = open_active(service, exercise=True)
    publish(client, service, cell, drill, "Point de rassemblement au gymnase.")
    exercise = client.get("/public/exercice")
    assert "script-src 'self'" in exercise.headers["content-security-policy"]
    assert '<p class="public-exercise-banner__mark">EXERCICE</p>' in exercise.text
    assert "<title>Préfecture — informations de crise — EXERCICE</title>" in exercise.text
    assert "Point de rassemblement au gymnase." in exercise.text
    assert 'href="/public/exercice/feed.atom"' in exercise.text
    real = client.get("/public").text
    assert "EXERCICE" not in real
    assert "gymnase" not in real


def test_two_cips_answering_at_once_each_say_which_event_they_answer_for(
    client: TestClient, service: Service
) -> None:
    first = open_active(service, exercise=False)
    second = open_active(service, exercise=False)
    for crisis_id, numero in ((first, "0169919191"), (second, "0800009191")):
        service.bus.handle(OrderCip(crisis_id=crisis_id, numero_unique=numero), actor=PREFECT)
        service.bus.handle(DeclareCipOperational(crisis_id=crisis_id), actor=PREFECT)
    html = client.get("/public").text
    title = "Numéro unique d'information — Inondation (Corbeil-Essonnes et Évry-Courcouronnes)"
    assert html.count(title) == 2
    assert "Appeler le 01 69 91 91 91" in html and "Appeler le 0 800 00 91 91" in html
