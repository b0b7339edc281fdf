"""Sign-in, the empty dashboard, a refused password: in the browser, axe-clean at both widths."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.conftest import (
    DESK,
    PASSWORD,
    PHONE,
    LiveService,
    check_page,
    new_page,
    sign_in,
)


def test_sign_in_refusal_then_dashboard(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{live.url}/")
    expect(page).to_have_url(f"{live.url}/connexion?suite=%2F")
    expect(page.get_by_text("Préfecture de l'Essonne").first).to_be_visible()
    check_page(page, "connexion", output_dir)

    page.get_by_label("Nom d'utilisateur", exact=True).fill("Claire Martin")
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("mot de passe incorrect")
    check_page(page, "connexion-refusee", output_dir)

    sign_in(page, live.url, "Claire Martin")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    # On a phone the navigation sits behind the DSFR's « Menu » button (a modal).
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Validation du préfet").first).to_be_visible()
    page.get_by_role("button", name="Fermer").click()
    expect(page.get_by_text("Aucun événement en cours.")).to_be_visible()
    page.set_viewport_size(DESK)
    check_page(page, "tableau-vide", output_dir)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{live.url}/connexion?fait=deconnexion")
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()


def test_signing_in_from_the_keyboard_alone(live: LiveService, browser: Browser) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{live.url}/connexion")
    page.keyboard.press("Tab")  # the first skip link
    for _ in range(12):
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("Paul Auditeur")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    # The auditor reads: no action is offered.
    expect(page.get_by_role("link", name="Ouvrir un événement et activer le COD")).to_have_count(0)
