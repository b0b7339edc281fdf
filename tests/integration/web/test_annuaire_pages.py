"""L'annuaire's forms through the real application: a contact deactivated and reactivated
(journalled, hidden from the default view, marked « inactif »), named-list members added and
removed with French errors, the CSV's `actif` column both ways, and the auditor refused."""

from __future__ import annotations

import codecs

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.domain.contact_commands import ContactInput, CreateContact, CreateContactList
from crisis.services.context import SYSTEM_ACTOR
from crisis.store.journal import SYSTEM_STREAM
from tests.integration.web.conftest import new_client, sign_in

PEOPLE = (
    ContactInput(name="Maire de Corbeil", category="elu", email="maire@corbeil.fr"),
    ContactInput(name="Maire d'Évry", category="elu", email="maire@evry.fr"),
    ContactInput(name="Le Républicain", category="media", email="redaction@republicain.fr"),
)


def _seed(service: Service) -> dict[str, str]:
    ids = {}
    for person in PEOPLE:
        ids[person.email or ""] = service.bus.handle(
            CreateContact(contact=person), actor=SYSTEM_ACTOR
        ).id
    return ids


def _signed_in(service: Service, name: str) -> tuple[TestClient, str]:
    client = new_client(service)
    return client, sign_in(client, name)


def _active(service: Service, contact_id: str) -> bool:
    with service.bus.unit_of_work() as uow:
        return uow.contacts.get(contact_id).active


def test_a_contact_deactivated_then_reactivated_from_its_page(
    service: Service, people: dict[str, str]
) -> None:
    ids = _seed(service)
    corbeil = ids["maire@corbeil.fr"]
    client, token = _signed_in(service, people["comm_cell"])
    page = client.get(f"/annuaire/contacts/{corbeil}")
    assert "Désactiver le contact" in page.text

    too_long = client.post(
        f"/annuaire/contacts/{corbeil}/desactiver", data={"csrf_token": token, "motif": "x" * 600}
    )
    assert too_long.status_code == 422
    assert "Le motif ne doit pas dépasser 500 caractères." in too_long.text
    assert _active(service, corbeil)

    done = client.post(
        f"/annuaire/contacts/{corbeil}/desactiver",
        data={"csrf_token": token, "motif": "A quitté ses fonctions"},
    )
    assert done.status_code == 200
    assert "Contact désactivé : il ne recevra plus rien" in done.text
    assert "Réactiver le contact" in done.text
    assert not _active(service, corbeil)

    again = client.post(f"/annuaire/contacts/{corbeil}/desactiver", data={"csrf_token": token})
    assert again.status_code == 409
    assert "Le contact « Maire de Corbeil » est déjà inactif." in again.text

    # The directory: active contacts by default; the inactive one marked when shown.
    assert "Maire de Corbeil" not in client.get("/annuaire").text
    shown = client.get("/annuaire", params={"etat": "inactifs"}).text
    assert "Maire de Corbeil" in shown and "inactif</p>" in shown
    assert "Maire d&#39;Évry" not in shown
    everyone = client.get("/annuaire", params={"etat": "tous"}).text
    assert "Maire de Corbeil" in everyone and "Maire d&#39;Évry" in everyone

    back = client.post(f"/annuaire/contacts/{corbeil}/reactiver", data={"csrf_token": token})
    assert "Contact réactivé" in back.text
    assert _active(service, corbeil)
    with service.bus.unit_of_work() as uow:
        kinds = [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]
    assert kinds.count("command.DeactivateContact") == 1
    assert kinds.count("command.ReactivateContact") == 1


def test_the_auditor_may_not_deactivate(service: Service, people: dict[str, str]) -> None:
    corbeil = _seed(service)["maire@corbeil.fr"]
    client, token = _signed_in(service, people["auditor"])
    assert "Désactiver le contact" not in client.get(f"/annuaire/contacts/{corbeil}").text
    refused = client.post(f"/annuaire/contacts/{corbeil}/desactiver", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "ne permet pas de désactiver un contact" in refused.text
    assert _active(service, corbeil)


def test_named_list_members_added_and_removed(service: Service, people: dict[str, str]) -> None:
    ids = _seed(service)
    maires = service.bus.handle(CreateContactList(name="Maires"), actor=SYSTEM_ACTOR).id
    client, token = _signed_in(service, people["duty_officer"])

    unknown = client.post(
        f"/annuaire/listes/{maires}/membres",
        data={"csrf_token": token, "contacts": "maire@corbeil.fr\ninconnu@nulle-part.fr"},
    )
    assert unknown.status_code == 422
    assert "Aucun contact ne correspond à « inconnu@nulle-part.fr »." in unknown.text
    assert "inconnu@nulle-part.fr</textarea>" in unknown.text  # what was typed stays
    empty = client.post(f"/annuaire/listes/{maires}/membres", data={"csrf_token": token})
    assert "Indiquez au moins un contact." in empty.text
    with service.bus.unit_of_work() as uow:
        assert uow.contacts.member_ids(maires) == set()

    added = client.post(
        f"/annuaire/listes/{maires}/membres",
        data={"csrf_token": token, "contacts": "maire@corbeil.fr, maire@evry.fr"},
    )
    assert "Contact ajouté à la liste." in added.text
    assert "Retirer de la liste : Maire de Corbeil" in added.text
    with service.bus.unit_of_work() as uow:
        assert uow.contacts.member_ids(maires) == {ids["maire@corbeil.fr"], ids["maire@evry.fr"]}

    removed = client.post(
        f"/annuaire/listes/{maires}/membres/retirer",
        data={"csrf_token": token, "contact": ids["maire@evry.fr"]},
    )
    assert "Contact retiré de la liste." in removed.text

    # From the contact's page: the list chosen, or an error if none is.
    journalist = ids["redaction@republicain.fr"]
    none = client.post(f"/annuaire/contacts/{journalist}/listes", data={"csrf_token": token})
    assert none.status_code == 422
    assert "Choisissez une liste." in none.text
    joined = client.post(
        f"/annuaire/contacts/{journalist}/listes", data={"csrf_token": token, "liste": maires}
    )
    assert "Contact ajouté à la liste." in joined.text
    assert "Retirer de la liste Maires" in joined.text
    left = client.post(
        f"/annuaire/listes/{maires}/membres/retirer",
        data={"csrf_token": token, "contact": journalist, "retour": "contact"},
    )
    assert "Contact retiré de la liste." in left.text and "Dans aucune liste nommée." in left.text
    with service.bus.unit_of_work() as uow:
        assert uow.contacts.member_ids(maires) == {ids["maire@corbeil.fr"]}
        kinds = [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]
    assert kinds.count("command.AddToContactList") == 2
    assert kinds.count("command.RemoveFromContactList") == 2


def test_the_csv_carries_the_active_state(service: Service, people: dict[str, str]) -> None:
    ids = _seed(service)
    client, token = _signed_in(service, people["comm_cell"])
    client.post(f"/annuaire/contacts/{ids['maire@evry.fr']}/desactiver", data={"csrf_token": token})
    exported = client.get("/annuaire/export.csv").content.decode("utf-8-sig")
    header, *rows = exported.splitlines()
    assert header.endswith(";exercice;actif")
    assert any(r.startswith("Maire d'Évry;") and r.endswith(";non;non") for r in rows)
    assert any(r.startswith("Maire de Corbeil;") and r.endswith(";non;oui") for r in rows)

    # An import with « actif » deactivates Corbeil and reactivates Évry; the journalist,
    # absent from the file, stays as he was.
    text = (
        "nom;categorie;email;mobile;telegram;commune;actif\n"
        "Maire de Corbeil;elu;maire@corbeil.fr;;;;non\n"
        "Maire d'Évry;elu;maire@evry.fr;;;;oui\n"
    )
    content = codecs.BOM_UTF8 + text.encode("utf-8")
    preview = client.post(
        "/annuaire/import",
        data={"csrf_token": token},
        files={"fichier": ("annuaire.csv", content, "text/csv")},
    )
    assert "1 contact(s) désactivé(s)" in preview.text
    assert "1 contact(s) réactivé(s)" in preview.text
    assert _active(service, ids["maire@corbeil.fr"])  # a preview writes nothing
    bad = client.post(
        "/annuaire/import",
        data={"csrf_token": token},
        files={
            "fichier": ("annuaire.csv", content.replace(b";non\n", b";peut-etre\n"), "text/csv")
        },
    )
    assert bad.status_code == 422
    assert "actif « peut-etre » invalide (oui ou non attendu)" in bad.text
    apply = client.post(
        "/annuaire/import/appliquer",
        data={"csrf_token": token, **_carried(preview.text)},
    )
    assert apply.status_code == 200
    assert not _active(service, ids["maire@corbeil.fr"])
    assert _active(service, ids["maire@evry.fr"])
    assert _active(service, ids["redaction@republicain.fr"])


def _carried(html: str) -> dict[str, str]:
    from tests.integration.web.conftest import hidden

    return {name: hidden(html, name) for name in ("file_name", "sha256", "content")}
