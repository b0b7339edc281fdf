"""Les modèles in the browser: the cell starts a custom template from a bundled one, is told
beside the SMS what the sandbox refuses, previews each channel, saves two versions and reads
their differences; the auditor reads the same pages without a single button that writes."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.conftest import DESK, PHONE, LiveService, check_page, new_page, sign_in

SMS = "Élus : {{ evenement }} depuis {{ survenu_le|heure_fr }} ({{ communes }}). {{ contact }}"


def _stored(live: LiveService, name: str) -> set[int]:
    with live.service.bus.reading() as uow:
        stored = uow.templates.keys()
    return {version for key, version in stored if key == name}


def test_the_cell_writes_a_template_checked_and_previewed_before_it_is_saved(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, DESK)
    sign_in(page, live.url, "Hugo Bernard")
    page.get_by_role("link", name="Modèles", exact=True).first.click()
    expect(page.get_by_role("heading", name="Modèles de messages")).to_be_visible()
    expect(page.get_by_text("Aucun modèle personnalisé.")).to_be_visible()
    check_page(page, "modeles", output_dir)

    page.get_by_role("link", name="Première information des élus").click()
    expect(page.get_by_text("fourni, lecture seule")).to_be_visible()
    expect(page.get_by_role("table", name="Variables")).to_contain_text("date et heure")
    expect(page.locator('[data-variant="email_subject"]')).to_contain_text("objet du courriel")
    check_page(page, "modele", output_dir)

    # A custom template from the bundled one: a broken SMS is refused beside it.
    page.get_by_role("link", name="Créer un modèle à partir de celui-ci").click()
    expect(page.get_by_label("Titre", exact=True)).to_have_value("Première information des élus")
    page.get_by_label("Titre", exact=True).fill("Information des élus de l'Essonne")
    page.get_by_label("SMS", exact=True).fill("Élus : {{ evenement ")
    page.get_by_label("Nom du modèle").fill("elus_essonne")
    page.get_by_label("Nom du modèle").press("Enter")  # Enter checks, it never saves
    expect(page.get_by_role("alert")).to_contain_text("Rien n'a été enregistré")
    expect(page.locator("#erreur-sources\\.sms")).to_contain_text("erreur de syntaxe ligne 1")
    expect(page.get_by_role("button", name="Enregistrer la version 1")).to_have_count(0)
    page.set_viewport_size(PHONE)
    check_page(page, "modele-erreur", output_dir)
    assert _stored(live, "elus_essonne") == set()

    # Fixed: previewed for each channel with the example values, then saved.
    page.get_by_role("link", name="Variante « SMS »").click()
    expect(page.get_by_label("SMS", exact=True)).to_be_focused()
    page.get_by_label("SMS", exact=True).fill(SMS)
    page.get_by_role("button", name="Vérifier et prévisualiser").click()
    expect(page.get_by_role("status")).to_contain_text("La version 1 passe les contrôles")
    sms = page.locator('#apercu ~ [data-variant="sms"]')
    expect(sms).to_contain_text("Élus : incendie sur un site industriel depuis 21 h 40")
    expect(sms).to_contain_text("SMS")
    check_page(page, "modele-apercu", output_dir)
    assert _stored(live, "elus_essonne") == set()
    page.get_by_role("button", name="Enregistrer la version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 enregistrée.")
    assert _stored(live, "elus_essonne") == {1}

    # A second version, then the differences between the two.
    page.set_viewport_size(DESK)
    page.get_by_role("link", name="Nouvelle version").click()
    page.get_by_label("Titre", exact=True).fill("Première information des élus de l'Essonne")
    page.get_by_label("SMS", exact=True).fill(SMS.replace("Élus :", "Information des élus :"))
    page.get_by_role("button", name="Vérifier et prévisualiser").click()
    page.get_by_role("button", name="Enregistrer la version 2").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 enregistrée.")
    versions = page.get_by_role(
        "table", name="Versions de « elus_essonne », la plus récente d'abord"
    )
    expect(versions).to_contain_text("Hugo Bernard")
    page.get_by_role("link", name="Comparer deux versions").click()
    sms_part = page.get_by_role("region", name="Variante SMS")
    expect(sms_part.locator("del")).to_contain_text("− retirée : Élus :")
    expect(sms_part.locator("ins")).to_contain_text("+ ajoutée : Information des élus :")
    manifest = page.get_by_role("region", name="Manifeste")
    expect(manifest.locator("ins")).to_contain_text("Titre : Première information des élus")
    check_page(page, "modele-differences", output_dir)
    assert _stored(live, "elus_essonne") == {1, 2}
    page.get_by_role("link", name="Modèles", exact=True).first.click()
    custom = page.get_by_role("article", name="Première information des élus de l'Essonne")
    expect(custom).to_contain_text("2, enregistrée")
    expect(custom).to_contain_text("par Hugo Bernard")
    check_page(page, "modeles-personnalises", output_dir)


def test_the_auditor_reads_templates_without_a_button_that_writes(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Paul Auditeur")
    page.goto(f"{live.url}/modeles")
    expect(page.get_by_role("link", name="Nouveau modèle")).to_have_count(0)
    page.get_by_role("link", name="Alerte à la population").click()
    expect(page.get_by_role("heading", name="Source de chaque variante")).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)
    expect(page.get_by_role("link", name="Créer un modèle à partir de celui-ci")).to_have_count(0)
    check_page(page, "modele-auditeur", output_dir)
    page.goto(f"{live.url}/modeles/nouveau-modele")
    expect(page.get_by_role("heading", name="Action non autorisée")).to_be_visible()
