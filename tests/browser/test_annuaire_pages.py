"""L'annuaire in the browser: search, a contact created and edited, the CSV import (refused
with its line numbers, then previewed and applied), the export, and the auditor who only reads."""

from __future__ import annotations

import codecs
from pathlib import Path

from playwright.sync_api import Browser, FilePayload, expect

from tests.browser.conftest import DESK, PHONE, LiveService, check_page, new_page, sign_in

HEADER = "nom;categorie;email;mobile;telegram;commune;fonction;exercice\n"
BROKEN = (
    HEADER
    + "Maire d'Étampes;elu;maire@etampes.fr;06 01 02 03 04;;Étampes;Maire;oui\n"
    + "France Bleu Paris;media;pas-une-adresse;;;;;non\n"
)
FIXED = BROKEN.replace("pas-une-adresse", "redaction@francebleu.fr")


def _csv(text: str) -> FilePayload:
    content = text.encode("cp1252")  # as Excel saves it on a French Windows
    return {"name": "contacts.csv", "mimeType": "text/csv", "buffer": content}


def test_the_directory_kept_by_the_cell(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, DESK)
    sign_in(page, live.url, "Hugo Bernard")
    page.goto(f"{live.url}/annuaire")
    expect(page.get_by_role("heading", name="Annuaire")).to_be_visible()
    page.get_by_role("textbox", name="Rechercher").fill("corbeil")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("link", name="Maire de Corbeil")).to_be_visible()
    expect(page.get_by_role("link", name="Député")).to_have_count(0)
    check_page(page, "annuaire", output_dir)

    # A new contact: the error beside its field, then created and edited.
    page.get_by_role("link", name="Nouveau contact").click()
    page.get_by_label("Nom", exact=True).fill("Maire de Massy")
    page.get_by_label("Mobile").fill("12")
    page.get_by_role("button", name="Créer le contact").click()
    expect(page.locator("#erreur-mobile")).to_contain_text("invalide")
    check_page(page, "annuaire-contact-erreur", output_dir)
    page.get_by_label("Mobile").fill("06 70 80 90 10")
    page.get_by_label("Commune").fill("Massy")
    page.get_by_role("button", name="Créer le contact").click()
    expect(page.get_by_role("status")).to_contain_text("Contact créé.")
    page.locator('label[for="champ-exercice"]').click()
    page.get_by_label("Fonction").fill("Maire")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_role("status")).to_contain_text("Contact modifié.")
    expect(page.get_by_label("Participe aux exercices")).to_be_checked()

    # A file with an error on line 3: every error listed, nothing written.
    before = _count(live)
    page.goto(f"{live.url}/annuaire/import")
    page.get_by_label("Fichier des contacts").set_input_files(_csv(BROKEN))
    page.get_by_role("button", name="Vérifier le fichier").click()
    errors = page.get_by_role("table", name="Erreurs du fichier")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("3")
    expect(errors).to_contain_text("e-mail « pas-une-adresse » invalide")
    expect(page.get_by_role("alert")).to_contain_text("rien n'a été importé")
    check_page(page, "annuaire-import-erreurs", output_dir)
    assert _count(live) == before

    # The same file fixed: a preview (still nothing written), then applied.
    page.get_by_label("Fichier des contacts").set_input_files(_csv(FIXED))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("status")).to_contain_text("2 contact(s) ajouté(s)")
    check_page(page, "annuaire-import-apercu", output_dir)
    assert _count(live) == before
    page.get_by_role("button", name="Appliquer l'import").click()
    expect(page.get_by_role("status")).to_contain_text("2 ajouté(s), 0 mis à jour")
    assert _count(live) == before + 2

    # Exported the way Excel opens it: UTF-8 with its byte-order mark, « ; ».
    with page.expect_download() as download_info:
        page.goto(f"{live.url}/annuaire")
        page.get_by_role("link", name="Exporter pour Excel (CSV)").click()
    exported = Path(download_info.value.path()).read_bytes()
    assert exported.startswith(codecs.BOM_UTF8)
    text = exported.decode("utf-8-sig")
    assert text.startswith(
        "nom;categorie;email;mobile;telegram;commune;fonction;exercice;actif\r\n"
    )
    assert "Maire d'Étampes;elu;maire@etampes.fr;06 01 02 03 04;;Étampes;Maire;oui;oui" in text


def test_a_contact_deactivated_and_a_named_list_kept(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, DESK)
    sign_in(page, live.url, "Hugo Bernard")

    # A named list: an unknown address refused in French, then two élus added, one removed.
    page.goto(f"{live.url}/annuaire")
    page.get_by_label("Nom de la nouvelle liste").fill("Maires du bassin de la Seine")
    page.get_by_role("button", name="Créer la liste").click()
    expect(page.get_by_role("status").first).to_contain_text("Liste créée.")
    members = page.get_by_label("Contacts à ajouter")
    members.fill("maire@corbeil.fr\nmaire@nulle-part.fr")
    page.get_by_role("button", name="Ajouter à la liste").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Aucun contact ne correspond à « maire@nulle-part.fr »."
    )
    expect(page.locator("#erreur-contacts")).to_be_visible()
    check_page(page, "annuaire-liste-erreur", output_dir)
    members.fill("maire@corbeil.fr\nmaire@evry.fr")
    page.get_by_role("button", name="Ajouter à la liste").click()
    expect(page.get_by_role("status").first).to_contain_text("Contact ajouté à la liste.")
    expect(page.get_by_role("link", name="Maire d'Évry")).to_be_visible()
    page.get_by_role("button", name="Retirer de la liste : Maire d'Évry").click()
    expect(page.get_by_role("status").first).to_contain_text("Contact retiré de la liste.")
    expect(page.get_by_role("link", name="Maire d'Évry")).to_have_count(0)
    check_page(page, "annuaire-liste", output_dir)

    # The Maire de Corbeil deactivated: hidden by default, marked « inactif » when shown.
    page.get_by_role("link", name="Maire de Corbeil").click()
    expect(page.get_by_role("link", name="Maires du bassin de la Seine")).to_be_visible()
    page.get_by_label("Motif (facultatif)").fill("Fin de mandat")
    page.get_by_role("button", name="Désactiver le contact").click()
    expect(page.get_by_role("status")).to_contain_text("Contact désactivé")
    expect(page.get_by_role("button", name="Réactiver le contact")).to_be_visible()
    check_page(page, "annuaire-contact-inactif", output_dir)
    page.goto(f"{live.url}/annuaire")
    expect(page.get_by_role("link", name="Maire de Corbeil")).to_have_count(0)
    page.get_by_label("État").select_option("inactifs")
    page.get_by_role("button", name="Filtrer").click()
    row = page.get_by_role("row").filter(has_text="Maire de Corbeil")
    expect(row).to_contain_text("inactif")
    check_page(page, "annuaire-inactifs", output_dir)
    with live.service.bus.unit_of_work() as uow:
        corbeil = uow.contacts.find_by_ref("maire@corbeil.fr")
        assert not corbeil.active
        assert uow.contacts.resolve("Maires du bassin de la Seine", exercise=False) == []


def _count(live: LiveService) -> int:
    with live.service.bus.unit_of_work() as uow:
        return uow.contacts.count()


def test_the_auditor_reads_the_directory_and_may_change_nothing(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Paul Auditeur")
    page.goto(f"{live.url}/annuaire")
    expect(page.get_by_role("link", name="Maire de Corbeil")).to_be_visible()
    for label in ("Nouveau contact", "Importer un fichier CSV"):
        expect(page.get_by_role("link", name=label)).to_have_count(0)
    expect(page.get_by_role("button", name="Créer la liste")).to_have_count(0)
    page.get_by_role("link", name="Maire de Corbeil").click()
    expect(page.get_by_text("maire@corbeil.fr")).to_be_visible()
    expect(page.locator("form[action^='/annuaire']")).to_have_count(0)
    check_page(page, "annuaire-auditeur", output_dir)

    # A hand-crafted POST with the auditor's own valid CSRF token: refused by the server.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    before = _count(live)
    answer = page.request.post(
        f"{live.url}/annuaire/nouveau",
        form={"csrf_token": token, "nom": "Intrus", "categorie": "elu", "email": "i@x.fr"},
    )
    assert answer.status == 403
    assert "Action non autorisée" in answer.text()
    answer = page.request.post(
        f"{live.url}/annuaire/import",
        multipart={"csrf_token": token, "fichier": _csv(FIXED)},
    )
    assert answer.status == 403
    assert _count(live) == before
