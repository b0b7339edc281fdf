"""Templates bounded in the console: a bomb is a field error of the template form that names
the limit, and the compose page and the template editor render with no transaction open."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from crisis.bootstrap import Service
from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.draft_commands import SaveTemplate
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import Actor
from crisis.templating import TemplateRegistry
from tests.integration.web.conftest import new_client, sign_in
from tests.integration.web.test_modeles_page import CELL, form_of, manifest

OFFICER = Actor(name="cadre", role="duty_officer")


@pytest.fixture
def renderings(service: Service, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """For each rendering, how many transactions were open on the service's engine."""
    open_now = [0]

    def opened(*_: Any) -> None:
        open_now[0] += 1

    def closed(*_: Any) -> None:
        open_now[0] -= 1

    listeners = (("begin", opened), ("commit", closed), ("rollback", closed))
    for name, listener in listeners:
        event.listen(service.bus.engine, name, listener)
    seen: list[int] = []
    produce = TemplateRegistry._produce

    def spy(registry: TemplateRegistry, *args: Any, **kwargs: Any) -> str:
        seen.append(open_now[0])
        return produce(registry, *args, **kwargs)

    monkeypatch.setattr(TemplateRegistry, "_produce", spy)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(service.bus.engine, name, listener)


def test_a_bomb_is_a_field_error_of_the_template_form(
    service: Service, people: dict[str, str]
) -> None:
    cell = new_client(service)
    sign_in(cell, people["comm_cell"])
    start = cell.get("/modeles/nouveau-modele?depuis=information_elus")
    data = form_of(start.text, name="bombe", action="verifier")
    data["sources.sms"] = "{{ 'x'|center(300000000) }}"
    refused = cell.post("/modeles/nouveau-modele", data=data)
    assert refused.status_code == 422
    error = html.unescape(refused.text).split('id="erreur-sources.sms"')[1].split("</p>")[0]
    assert "le modèle produit un texte trop long (plus de 100 000 caractères)" in error


def test_compose_and_template_pages_render_with_no_transaction_open(
    service: Service, people: dict[str, str], renderings: list[int]
) -> None:
    sources = {"sms": "Coupure d'eau à {{ commune }}.", "telegram": "Eau coupée : {{ commune }}."}
    service.bus.handle(
        SaveTemplate(name="coupure_eau", manifest=manifest(), sources=sources), actor=CELL
    )
    crisis_id = service.bus.handle(
        OpenCrisis(
            title="Crue de la Seine",
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-7"),
        ),
        actor=OFFICER,
    )
    renderings.clear()
    cell = new_client(service)
    csrf = sign_in(cell, people["comm_cell"])
    form = {
        "csrf_token": csrf,
        "template": "coupure_eau",
        "template_loaded": "oui",
        "var_commune": "Évry",
        "audiences": "public",
    }
    preview = cell.post(f"/evenements/{crisis_id}/messages/apercu", data=form)
    assert preview.status_code == 200
    assert "Coupure d&#39;eau à Évry." in preview.text or "Coupure d'eau à Évry." in preview.text
    refreshed = cell.post(f"/evenements/{crisis_id}/messages", data=form)
    assert refreshed.status_code == 200
    start = cell.get("/modeles/coupure_eau/nouvelle-version")
    checked = cell.post(
        "/modeles/coupure_eau/nouvelle-version", data=form_of(start.text, action="verifier")
    )
    assert "La version 2 passe les contrôles" in html.unescape(checked.text)
    assert len(renderings) >= 4
    assert set(renderings) == {0}, renderings
