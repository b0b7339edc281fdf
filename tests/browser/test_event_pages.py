"""Opening an event on a phone, then its page: errors beside fields, four clocks, actions."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.conftest import DESK, PHONE, LiveService, check_page, new_page, sign_in


def test_duty_officer_opens_an_event_and_sees_its_page(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Claire Martin")
    page.goto(f"{live.url}/evenements/nouveau")
    page.get_by_role("button", name="Enregistrer l'événement").click()
    expect(page.locator("#erreur-nature")).to_contain_text("exercice ou événement réel")
    check_page(page, "ouvrir-erreurs", output_dir)

    page.get_by_label("Titre de l'événement").fill("Crue de l'Orge")
    page.locator('label[for="nature-exercice"]').click()
    page.get_by_label("Décision prise par").fill("la préfète")
    page.get_by_label("Référence SYNERGI").fill("SYN-91-7")
    page.get_by_role("button", name="Enregistrer l'événement").click()
    expect(page.get_by_role("status")).to_contain_text("Événement enregistré.")
    expect(page.locator("#horloges .console-clock")).to_have_count(4)
    page.set_viewport_size(DESK)
    check_page(page, "evenement", output_dir)

    page.get_by_role("button", name="Cellule opérationnelle").click()
    expect(page.get_by_role("status")).to_contain_text("Cellule de communication déclarée")
    expect(page.locator('[data-clock="cell"]')).to_contain_text("tenue")
