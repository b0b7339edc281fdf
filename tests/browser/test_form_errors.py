"""Two forms refused on a 390 px phone: every error at once, a summary on top whose links
lead to the fields, each field in the DSFR's error state with its own message; axe-clean."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from crisis.domain.commands import AddUser
from crisis.services.context import SYSTEM_ACTOR
from tests.browser.conftest import PASSWORD, PHONE, LiveService, check_page, new_page, sign_in
from tests.integration.web.call_rows import open_exercise


def test_adding_a_user_and_programming_a_drill_show_every_error_on_a_phone(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    live.service.bus.handle(
        AddUser(name="Alice Admin", role="admin", password=PASSWORD), actor=SYSTEM_ACTOR
    )
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Alice Admin")
    page.goto(f"{live.url}/administration#ajouter")
    page.get_by_label("Adresse électronique", exact=False).last.fill("pas-une-adresse")
    page.get_by_label("Mot de passe de console").fill("court")
    page.get_by_role("button", name="Ajouter l'utilisateur").click()
    summary = page.locator("#erreurs")
    expect(summary).to_contain_text("L'utilisateur n'a pas été ajouté")
    expect(summary.get_by_role("listitem")).to_have_count(3)
    expect(summary).to_contain_text("Corrigez les 3 champs signalés")
    for field in ("name", "email", "password"):
        box = page.locator(f"#champ-{field}")
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#erreur-{field}")).to_be_visible()
    expect(page.locator("#erreur-email")).to_contain_text("n'est pas une adresse électronique")
    summary.get_by_role("link", name="Le mot de passe doit compter au moins 12 caractères.").click()
    expect(page).to_have_url(f"{live.url}/administration/utilisateurs#champ-password")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#erreurs").scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / "formulaire-erreurs-utilisateur-390.png"))
    check_page(page, "formulaire-erreurs-utilisateur", output_dir)

    officer = new_page(browser, PHONE)
    sign_in(officer, live.url, "Claire Martin")
    officer.goto(f"{live.url}/exercices#programme")
    officer.get_by_label("Ou récurrence (cron standard)").fill("0 10 * * 8")
    officer.get_by_label("Préavis aux participants (jours)").fill("400")
    officer.get_by_role("button", name="Ajouter au programme").click()
    summary = officer.locator("#erreurs")
    expect(summary).to_contain_text("L'exercice n'a pas été programmé")
    expect(summary.get_by_role("listitem")).to_have_count(3)
    for field in ("name", "notice_days", "cron"):
        expect(officer.locator(f"#champ-{field}")).to_have_attribute("aria-invalid", "true")
    expect(officer.locator("#erreur-notice_days")).to_contain_text("de 0 à")
    assert officer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    summary.scroll_into_view_if_needed()
    officer.screenshot(path=str(output_dir / "formulaire-erreurs-programme-390.png"))
    check_page(officer, "formulaire-erreurs-programme", output_dir)


def test_a_refused_event_form_comes_back_open_on_a_phone(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    crisis_id = open_exercise(live.service)
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Claire Martin")
    page.goto(f"{live.url}/evenements/{crisis_id}")
    page.get_by_text("Diffusion hors service (conférence de presse, appels aux maires…)").click()
    page.locator("#champ-hors-service-delivered_at").fill("2999-01-01T10:00")
    page.get_by_role("button", name="Enregistrer la diffusion hors service").click()
    summary = page.locator("#erreurs-hors-service")
    expect(summary).to_contain_text("La diffusion hors service n'a pas été enregistrée")
    expect(summary.get_by_role("listitem")).to_have_count(2)
    expect(page.locator("#hors-service")).to_have_attribute("open", "")
    for field in ("means", "delivered_at"):
        expect(page.locator(f"#champ-hors-service-{field}")).to_have_attribute(
            "aria-invalid", "true"
        )
    expect(page.locator("#champ-hors-service-delivered_at")).to_have_value("2999-01-01T10:00")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#hors-service").screenshot(
        path=str(output_dir / "formulaire-erreurs-evenement-390.png")
    )
    check_page(page, "formulaire-erreurs-evenement", output_dir)
