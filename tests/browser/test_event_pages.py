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

    # A free text, measured per channel as it is typed; the élus need the préfet's approval.
    page.get_by_role("link", name="Message en texte libre").click()
    page.locator('label[for="champ-audiences-1"]').click()
    page.get_by_label("Texte du message").fill("Crue de l'Orge : évitez les berges à Étampes.")
    sms = page.locator('#apercu [data-variant="sms"]')
    expect(sms).to_contain_text("EXERCICE", timeout=5000)
    expect(sms).to_contain_text("segment")
    expect(page.locator('#apercu [data-variant="x"]')).to_contain_text("/ 280")
    check_page(page, "texte-libre", output_dir)
    page.get_by_role("button", name="Envoyer ou soumettre au préfet").click()
    expect(page.get_by_role("status")).to_contain_text("soumis à la validation du préfet")
