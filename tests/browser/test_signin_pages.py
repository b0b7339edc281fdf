"""Sign-in, the empty dashboard, a refused password: in the browser, axe-clean at both widths."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Browser, Route, expect

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


def test_a_poll_answered_during_sign_out_does_not_hide_its_message(
    live: LiveService, browser: Browser
) -> None:
    """The dashboard polls every second: one in flight when « Se déconnecter » is pressed comes
    back 401 with htmx's HX-Redirect to the bare sign-in form. It must not win over the page
    the sign-out lands on (seen on a slow CI machine: « Vous êtes déconnecté » lost)."""
    page = new_page(browser, DESK)
    sign_in(page, live.url, "Claire Martin")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()

    held: list[Route] = []

    def hold_poll(route: Route) -> None:
        held.append(route)

    def sign_out_then_answer_the_poll(route: Route) -> None:
        signed_out = route.fetch(max_redirects=0)  # the service ends the session
        for poll in held:
            poll.continue_()  # with the ended session: 401 and HX-Redirect
        time.sleep(1.0)  # the old page handles that answer before the sign-out's lands
        route.fulfill(response=signed_out)

    page.route("**/tableau/evenements", hold_poll)
    # Only a redirect chain's first request is routed: the sign-out's POST.
    page.route("**/deconnexion", sign_out_then_answer_the_poll)
    while not held:
        page.wait_for_timeout(100)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()
    page.wait_for_timeout(1500)
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
