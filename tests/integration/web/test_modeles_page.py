"""Les modèles in the console: list, one template, a version checked then saved, differences,
and the roles (the auditor reads; a hand-made POST gets 403) and the CSRF token enforced."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

import crisis
from crisis.bootstrap import Service
from crisis.domain.draft_commands import SaveTemplate
from crisis.services.context import Actor
from crisis.store.journal import SYSTEM_STREAM
from tests.integration.web.conftest import new_client, sign_in

CELL = Actor(name="web-comm_cell", role="comm_cell", user_id="u-cell")
EDIT = "/modeles/coupure_eau/nouvelle-version"


class _Fields(HTMLParser):
    """The fields a browser would send from the form `form-modele` (no button pressed)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._inside = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = a.get("id") == "form-modele"
        if tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        if not self._inside or "name" not in a:
            return
        if tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)


def form_of(page: str, **changes: str) -> dict[str, Any]:
    parser = _Fields()
    parser.feed(page)
    data: dict[str, Any] = {}
    for name, value in parser.fields:
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    data.update(changes)
    return data


def manifest() -> dict[str, Any]:
    return {
        "title": "Coupure d'eau potable",
        "description": "Information sur une coupure d'eau potable.",
        "audiences": ["public", "elus"],
        "variants": ["sms", "telegram"],
        "variables": [
            {"name": "commune", "type": "str", "description": "Commune.", "example": "Massy"}
        ],
    }


@pytest.fixture
def custom(service: Service, people: dict[str, str]) -> str:
    """`coupure_eau`, version 1, saved by the cell."""
    sources = {"sms": "Coupure d'eau à {{ commune }}.", "telegram": "Eau coupée : {{ commune }}."}
    service.bus.handle(
        SaveTemplate(name="coupure_eau", manifest=manifest(), sources=sources), actor=CELL
    )
    return "coupure_eau"


def client_of(service: Service, name: str) -> TestClient:
    client = new_client(service)
    sign_in(client, name)
    return client


def versions(service: Service, name: str = "coupure_eau") -> set[tuple[str, int]]:
    with service.bus.reading() as uow:
        stored = uow.templates.keys()
        return {key for key in stored if key[0] == name}


def test_the_list_shows_bundled_templates_read_only_and_custom_ones(
    service: Service, people: dict[str, str], custom: str
) -> None:
    auditor = client_of(service, people["auditor"])
    page = html.unescape(auditor.get("/modeles").text)
    bundled = page.split("Modèles fournis avec le service")[1]
    assert "lecture seule" in bundled
    assert "Première information des élus" in bundled and "coupure_eau" not in bundled
    mine = page.split("Modèles personnalisés")[1].split("Modèles fournis")[0]
    assert "Coupure d'eau potable" in mine
    assert "Publics</dt><dd>élus, public" in mine or "Publics</dt><dd>public, élus" in mine
    assert "Canaux</dt><dd>SMS, Telegram" in mine
    assert "par web-comm_cell" in mine
    assert 'href="/modeles" aria-current="page"' in page  # in the navigation
    assert "Nouveau modèle" not in page
    assert "Nouveau modèle" in client_of(service, people["comm_cell"]).get("/modeles").text


def test_a_template_shows_its_manifest_variants_and_versions(
    service: Service, people: dict[str, str], custom: str
) -> None:
    auditor = client_of(service, people["auditor"])
    page = html.unescape(auditor.get("/modeles/information_elus").text)
    assert "fourni, lecture seule" in page
    assert '<code>survenu_le</code></td><td data-label="Type">date et heure</td>' in page
    assert "objet du courriel" in page  # the variants named in French
    # Rendered with the example values, as the API's preview does.
    assert "Information des élus : incendie sur un site industriel" in page
    assert "{{ emetteur }} - Information des élus" in page  # and the source
    assert "Nouvelle version" not in page and "Créer un modèle" not in page

    sources = {"sms": "Coupure à {{ commune }}.", "telegram": "Eau coupée : {{ commune }}."}
    service.bus.handle(SaveTemplate(name=custom, manifest=manifest(), sources=sources), actor=CELL)
    latest = html.unescape(auditor.get(f"/modeles/{custom}").text)
    assert "version 2" in latest and "Coupure à Massy." in latest
    assert 'href="/modeles/coupure_eau?version=1"' in latest
    assert "avec la version 1" in latest
    first = html.unescape(auditor.get(f"/modeles/{custom}?version=1").text)
    assert "Coupure d'eau à Massy." in first and "la dernière est la" in first
    assert auditor.get("/modeles/inconnu").status_code == 404
    assert auditor.get(f"/modeles/{custom}?version=9").status_code == 404


def test_an_invalid_version_is_shown_with_its_problems_and_nothing_is_saved(
    service: Service, people: dict[str, str], custom: str
) -> None:
    cell = client_of(service, people["comm_cell"])
    form = cell.get(EDIT)
    assert form.status_code == 200
    data = form_of(form.text, **{"sources.sms": "Coupure à {{ commune"})
    assert data["sources.telegram"] == "Eau coupée : {{ commune }}."  # prefilled
    for action in ("verifier", "enregistrer"):
        refused = cell.post(EDIT, data={**data, "action": action, "checked": "forgé"})
        assert refused.status_code == 422
        page = html.unescape(refused.text)
        assert "Rien n'a été enregistré : 1 problème à corriger" in page
        assert '<a href="#champ-sources.sms">Variante « SMS »</a> : erreur de syntaxe' in page
        assert 'id="erreur-sources.sms" class="fr-error-text">erreur de syntaxe ligne 1' in page
        assert "Enregistrer la version" not in page
        assert "Coupure à {{ commune" in page  # what was typed is kept
    # The manifest is checked first: its fields named in French, beside them.
    untitled = form_of(form.text, title="", **{"variables[0].example": ""})
    page = html.unescape(cell.post(EDIT, data={**untitled, "action": "verifier"}).text)
    assert '<a href="#champ-title">Titre</a> : ne doit pas être vide' in page
    assert '<a href="#variable-0">Variable n° 1 « commune »</a> : ' in page
    assert 'id="erreur-variable-0" class="fr-message fr-message--error">' in page
    escape = form_of(form.text, **{"sources.telegram": "{{ ''.__class__ }}"})
    page = html.unescape(cell.post(EDIT, data={**escape, "action": "verifier"}).text)
    assert "attribut interne « __class__ »" in page.split('id="erreur-sources.telegram"')[1]
    assert versions(service) == {("coupure_eau", 1)}


def test_a_version_is_checked_previewed_then_saved_once_and_journalled(
    service: Service, people: dict[str, str], custom: str
) -> None:
    cell = client_of(service, people["comm_cell"])
    data = form_of(
        cell.get(EDIT).text,
        **{"sources.sms": "Eau coupée à {{ commune }} jusqu'à nouvel ordre.", "sources.x": ""},
    )
    data["variables[1].name"] = "retour"
    data["variables[1].type"] = "str"
    data["variables[1].description"] = "Retour prévu."
    data["variables[1].example"] = "demain matin"
    data["sources.telegram"] = "Eau coupée : {{ commune }}, retour {{ retour }}."
    checked = cell.post(EDIT, data={**data, "action": "verifier"})
    assert checked.status_code == 200, checked.text[:3000]
    page = html.unescape(checked.text)
    assert "La version 2 passe les contrôles du bac à sable" in page
    assert "Eau coupée à Massy jusqu'à nouvel ordre." in page  # the SMS previewed
    assert "Eau coupée : Massy, retour demain matin." in page
    assert "Enregistrer la version 2" in page
    assert f"Version {crisis.__version__}. Conception" in page  # the footer's own version
    assert 'autocomplete="off"' in checked.text  # literal attributes, not escaped
    assert versions(service) == {("coupure_eau", 1)}  # checking saves nothing

    # Changed after the check: checked again, not saved.
    again = form_of(checked.text, **{"sources.sms": "Autre texte à {{ commune }}."})
    changed = cell.post(EDIT, data={**again, "action": "enregistrer"})
    assert changed.status_code == 200
    assert "a changé depuis sa dernière vérification" in html.unescape(changed.text)
    assert versions(service) == {("coupure_eau", 1)}

    final = {**form_of(checked.text), "action": "enregistrer"}
    saved = cell.post(EDIT, data=final, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/modeles/coupure_eau?version=2&fait=enregistre"
    assert cell.post(EDIT, data=final, follow_redirects=False).status_code == 303  # replayed
    assert versions(service) == {("coupure_eau", 1), ("coupure_eau", 2)}
    shown = html.unescape(cell.get(saved.headers["location"]).text)
    assert "Version 2 enregistrée." in shown and "Eau coupée à Massy jusqu'à nouvel ordre." in shown
    with service.bus.reading() as uow:
        stored = uow.templates.get("coupure_eau", 2)
        entries = uow.journal.entries(SYSTEM_STREAM)
    assert stored is not None and stored.created_by == "web-comm_cell"
    assert stored.manifest["variables"][1]["name"] == "retour"
    journalled = [e for e in entries if e.kind == "command.SaveTemplate"]
    assert [(e.actor, e.payload["outcome"]) for e in journalled][-1] == (
        "web-comm_cell",
        {"name": "coupure_eau", "version": 2},
    )


def test_a_new_template_starts_from_a_bundled_one(
    service: Service, people: dict[str, str], custom: str
) -> None:
    cell = client_of(service, people["comm_cell"])
    assert (
        cell.get("/modeles/information_elus/nouvelle-version", follow_redirects=False).headers[
            "location"
        ]
        == "/modeles/nouveau-modele?depuis=information_elus"
    )
    start = cell.get("/modeles/nouveau-modele?depuis=information_elus")
    data = form_of(start.text)
    assert data["title"] == "Première information des élus"
    assert data["depuis"] == "information_elus"
    for name, expected in (
        ("information_elus", "fourni avec le service"),
        ("coupure_eau", "Un modèle personnalisé s'appelle déjà « coupure_eau »"),
        ("Mauvais nom", "Nom de modèle invalide"),
    ):
        refused = cell.post(
            "/modeles/nouveau-modele", data={**data, "name": name, "action": "verifier"}
        )
        assert refused.status_code == 422
        assert expected in html.unescape(refused.text).split('id="erreur-name"')[1]
    data["name"] = "information_elus_91"
    checked = cell.post("/modeles/nouveau-modele", data={**data, "action": "verifier"})
    assert "La version 1 passe les contrôles" in html.unescape(checked.text)
    saved = cell.post(
        "/modeles/nouveau-modele",
        data={**form_of(checked.text), "action": "enregistrer"},
        follow_redirects=False,
    )
    assert saved.headers["location"] == "/modeles/information_elus_91?version=1&fait=enregistre"
    assert versions(service, "information_elus_91") == {("information_elus_91", 1)}


def test_the_differences_between_two_versions(
    service: Service, people: dict[str, str], custom: str
) -> None:
    sources = {"sms": "Coupure à {{ commune }}.", "telegram": "Eau coupée : {{ commune }}."}
    changed = {**manifest(), "title": "Coupure d'eau"}
    service.bus.handle(SaveTemplate(name=custom, manifest=changed, sources=sources), actor=CELL)
    auditor = client_of(service, people["auditor"])
    page = html.unescape(auditor.get("/modeles/coupure_eau/differences").text)
    assert (
        '<del><span class="console-diff__mark">− retirée :</span> Coupure d\'eau à {{ commune }}.</del>'
        in page
    )
    assert (
        '<ins><span class="console-diff__mark">+ ajoutée :</span> Coupure à {{ commune }}.</ins>'
        in page
    )
    assert "+ ajoutée :</span> Titre : Coupure d'eau</ins>" in page
    assert "− retirée :</span> Titre : Coupure d'eau potable</del>" in page
    assert page.count("Identique dans les deux versions.") == 1  # telegram
    same = auditor.get("/modeles/coupure_eau/differences?de=2&a=2")
    assert same.status_code == 422
    assert "Choisissez deux versions différentes" in html.unescape(same.text)
    assert auditor.get("/modeles/coupure_eau/differences?de=7").status_code == 404


@pytest.mark.parametrize("role", ["auditor", "prefect"])
def test_who_may_not_save_sees_no_form_and_a_hand_made_post_gets_403(
    service: Service, people: dict[str, str], custom: str, role: str
) -> None:
    cell = client_of(service, people["comm_cell"])
    data = {**form_of(cell.get(EDIT).text), "action": "verifier"}
    reader = new_client(service)
    token = sign_in(reader, people[role])
    page = reader.get("/modeles/coupure_eau").text
    assert "nouvelle-version" not in page and "nouveau-modele" not in page
    assert 'method="post"' not in page.split("<main")[1]
    assert reader.get(EDIT).status_code == 403
    assert reader.get("/modeles/nouveau-modele").status_code == 403
    for action in ("verifier", "enregistrer"):
        refused = reader.post(EDIT, data={**data, "csrf_token": token, "action": action})
        assert refused.status_code == 403
        assert "ne permet pas d'enregistrer un modèle de message" in html.unescape(refused.text)
    new = {**data, "csrf_token": token, "name": "autre", "action": "enregistrer"}
    assert reader.post("/modeles/nouveau-modele", data=new).status_code == 403
    assert versions(service) == {("coupure_eau", 1)}
    assert versions(service, "autre") == set()


def test_a_post_without_its_csrf_token_is_refused(
    service: Service, people: dict[str, str], custom: str
) -> None:
    cell = client_of(service, people["comm_cell"])
    data = form_of(cell.get(EDIT).text, **{"sources.sms": "Nouveau {{ commune }}."})
    del data["csrf_token"]
    refused = cell.post(EDIT, data={**data, "action": "enregistrer"})
    assert refused.status_code == 403
    assert "Formulaire refusé" in html.unescape(refused.text)
    forged = cell.post(EDIT, data={**data, "csrf_token": "faux", "action": "enregistrer"})
    assert forged.status_code == 403
    assert versions(service) == {("coupure_eau", 1)}
