"""Forms say every problem at once: each beside its field (DSFR error state, linked by
aria-describedby) and all in a summary on top, in French; nothing is created."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.domain.commands import AddUser, OpenCrisis
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from tests.integration.web.call_rows import open_exercise
from tests.integration.web.conftest import new_client, sign_in


def _summary(page: str) -> list[str]:
    found = re.search(
        r'<div class="fr-alert fr-alert--error[^"]*" role="alert" id="erreurs[^"]*">(.*?)</div>',
        page,
        re.S,
    )
    assert found is not None, "no error summary"
    return [
        html.unescape(item)
        for item in re.findall(r'<li><a href="#[^"]+">([^<]*)</a></li>', found.group(1))
    ]


def _beside(page: str, field: str) -> str:
    found = re.search(rf'<p id="erreur-{field}" class="fr-error-text">([^<]*)</p>', page)
    assert found is not None, f"no error beside {field}"
    assert f'aria-describedby="erreur-{field}"' in page
    return html.unescape(found.group(1))


def _client(service: Service, name: str) -> tuple[TestClient, str]:
    client = new_client(service)
    return client, sign_in(client, name)


def test_adding_a_user_says_every_wrong_field(service: Service, people: dict[str, str]) -> None:
    client, token = _client(service, people["admin"])
    service.bus.handle(
        AddUser(name="autre", role="auditor", email="pris@prefecture.gouv.fr"), actor=SYSTEM_ACTOR
    )
    answer = client.post(
        "/administration/utilisateurs",
        data={
            "csrf_token": token,
            "idempotency_key": "k-1",
            "name": "",
            "role": "chef",
            "email": "pris@prefecture.gouv.fr",
            "password": "court",
        },
    )
    assert answer.status_code == 422
    page = answer.text
    summary = _summary(page)
    assert len(summary) == 4, summary
    assert _beside(page, "name") == "Le nom doit compter de 1 à 120 caractères."
    assert _beside(page, "role").startswith("Rôle inconnu « chef »")
    assert _beside(page, "password") == "Le mot de passe doit compter au moins 12 caractères."
    assert _beside(page, "email") == (
        "L'adresse pris@prefecture.gouv.fr est déjà celle du compte « autre »."
    )
    assert "L'utilisateur n'a pas été ajouté" in html.unescape(page)
    assert 'href="#champ-password"' in page
    with service.bus.reading() as uow:
        assert [u.name for u in uow.users.all() if u.name in ("", "autre")] == ["autre"]


def test_a_taken_name_alone_is_still_a_conflict(service: Service, people: dict[str, str]) -> None:
    client, token = _client(service, people["admin"])
    data = {"csrf_token": token, "name": people["auditor"], "role": "auditor", "password": ""}
    answer = client.post("/administration/utilisateurs", data=data | {"idempotency_key": "k-2"})
    assert answer.status_code == 409
    assert "existe déjà" in _beside(answer.text, "name")


def test_programming_a_drill_says_every_wrong_field(
    service: Service, people: dict[str, str]
) -> None:
    client, token = _client(service, people["duty_officer"])
    answer = client.post(
        "/exercices/programme",
        data={
            "csrf_token": token,
            "idempotency_key": "p-1",
            "name": "",
            "scenario": "inexistant",
            "cron": "0 10 * * 8",
            "starts_at": "pas une date",
            "notice_days": "sept",
            "mode": "unattended",
        },
    )
    assert answer.status_code == 422
    page = answer.text
    summary = _summary(page)
    assert len(summary) == 5, summary
    assert _beside(page, "name") == "Le nom doit compter de 1 à 200 caractères."
    assert _beside(page, "scenario").startswith("Scénario inconnu : « inexistant »")
    assert _beside(page, "notice_days") == "Nombre de jours entier attendu."
    assert _beside(page, "starts_at").startswith("Date et heure invalides")
    assert "jour de la semaine « 8 »" in _beside(page, "cron")
    assert "L'exercice n'a pas été programmé" in html.unescape(page)
    with service.bus.reading() as uow:
        assert uow.programme.active() == []


def test_the_event_page_forms_come_back_open_with_every_error(
    service: Service, people: dict[str, str]
) -> None:
    crisis_id = open_exercise(service)
    officer, token = _client(service, people["duty_officer"])
    late = "2090-01-01T10:00"
    delivery = officer.post(
        f"/evenements/{crisis_id}/diffusion-hors-service",
        data={"csrf_token": token, "audience": "presse", "means": "", "delivered_at": late},
    )
    assert delivery.status_code == 422
    page = delivery.text
    assert len(_summary(page)) == 3, _summary(page)
    assert _beside(page, "hors-service-audience") == "Choisissez le public informé."
    assert _beside(page, "hors-service-means").startswith("Indiquez le moyen utilisé")
    assert "futur" in _beside(page, "hors-service-delivered_at")
    assert '<details class="fr-mt-3w" id="hors-service" open>' in page
    assert 'value="2090-01-01T10:00"' in page  # what was typed, shown again

    correction = officer.post(
        f"/evenements/{crisis_id}/corrections",
        data={"csrf_token": token, "clock": "elus", "correction": "heure", "met_at": late},
    )
    assert correction.status_code == 422
    page = correction.text
    assert len(_summary(page)) == 2, _summary(page)
    assert _beside(page, "correction-reason") == "Indiquez le motif de la correction."
    assert _beside(page, "correction-met_at") == "L'heure corrigée ne peut pas être dans le futur."

    prefect, prefect_token = _client(service, people["prefect"])
    closing = prefect.post(
        f"/evenements/{crisis_id}/clore", data={"csrf_token": prefect_token, "reason": " "}
    )
    assert closing.status_code == 422
    assert _beside(closing.text, "cloture-reason") == "Indiquez le motif de la clôture."
    assert "L'événement n'a pas été clos" in html.unescape(closing.text)
    with service.bus.reading() as uow:
        kinds = [e.kind for e in uow.journal.entries(crisis_id)]
    assert not {"event.DeliveryRecorded", "event.ClockCorrected", "event.CrisisClosed"} & set(kinds)


def test_the_cod_activation_form_says_every_problem(
    service: Service, people: dict[str, str]
) -> None:
    crisis_id = service.bus.handle(
        OpenCrisis(title="Tempête", kind=CrisisKind.TEMPETE, exercise=False),
        actor=Actor(name="cadre", role="duty_officer"),
    )
    officer, token = _client(service, people["duty_officer"])
    answer = officer.post(
        f"/evenements/{crisis_id}/cod",
        data={"csrf_token": token, "decided_by": "", "decided_at": "2090-01-01T10:00"},
    )
    assert answer.status_code == 422
    page = answer.text
    summary = _summary(page)
    assert len(summary) >= 2, summary
    assert _beside(page, "cod-decided_by")
    assert "futur" in _beside(page, "cod-decided_at")
    with service.bus.reading() as uow:
        assert uow.crises.get(crisis_id).activation is None


def test_composing_a_message_says_every_missing_variable(
    service: Service, people: dict[str, str]
) -> None:
    crisis_id = open_exercise(service)
    cell, token = _client(service, people["comm_cell"])
    form = {
        "csrf_token": token,
        "idempotency_key": "m-1",
        "template": "information_elus",
        "template_loaded": "oui",
        "action": "valider",
        "audiences": "elus",
        "var_evenement": "crue",
        "var_communes_autres": "Évry-Courcouronnes",
        "var_survenu_le": "2026-11-28T21:40",
        "var_mesures": "Restez chez vous.",
    }
    answer = cell.post(f"/evenements/{crisis_id}/messages", data=form)
    assert answer.status_code == 422
    page = answer.text
    summary = _summary(page)
    assert len(summary) == 2, summary
    assert all(line.endswith(" : Ce champ est obligatoire.") for line in summary), summary
    assert summary[0] != summary[1]  # each names its variable
    assert _beside(page, "var_situation") == "Ce champ est obligatoire."
    assert _beside(page, "var_contact") == "Ce champ est obligatoire."
    assert 'href="#champ-var_situation"' in page
    with service.bus.reading() as uow:
        assert uow.drafts.of_crisis(crisis_id) == []


def test_a_named_list_says_both_of_its_problems(service: Service, people: dict[str, str]) -> None:
    cell, token = _client(service, people["comm_cell"])
    answer = cell.post(
        "/annuaire/listes",
        data={
            "csrf_token": token,
            "idempotency_key": "l-1",
            "nom_liste": " ",
            "description": "x" * 6000,
        },
    )
    assert answer.status_code == 422
    page = answer.text
    assert len(_summary(page)) == 2, _summary(page)
    assert _beside(page, "nom_liste") == "Le nom de la liste est obligatoire."
    assert "description" in _beside(page, "description")
    with service.bus.reading() as uow:
        assert uow.contacts.lists() == []


def test_a_free_text_without_public_nor_text_says_both(
    service: Service, people: dict[str, str]
) -> None:
    crisis_id = open_exercise(service)
    cell, token = _client(service, people["comm_cell"])
    answer = cell.post(
        f"/evenements/{crisis_id}/messages/texte-libre",
        data={"csrf_token": token, "idempotency_key": "t-1", "default": " "},
    )
    assert answer.status_code == 422
    page = answer.text
    assert len(_summary(page)) == 2, _summary(page)
    assert _beside(page, "default") == "Le texte principal (default) est obligatoire."
    assert "Choisissez au moins un public ou une liste." in html.unescape(page)
    assert 'href="#groupe-audiences"' in page
