"""The console's second round in the browser (390 and 1280 px, axe-core on every page): two
tabs open the same crisis and the second is shown the first; « Envoyer » shows what goes out
and asks for confirmation; a declaration is corrected with a reason; an unknown address gets
a page with a way back. The pictures at 390 and 1280 px go under tests/output/console."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from crisis.domain.commands import SendMessage
from crisis.domain.draft_commands import ApproveDraft
from crisis.domain.vocabulary import Audience
from crisis.services.context import Actor
from tests.browser.conftest import (
    DESK,
    PHONE,
    LiveService,
    check_page,
    new_page,
    sign_in,
)


def _pictures(page: Page, name: str, output_dir: Path) -> None:
    """axe-core and the pictures of `check_page`, and the phone's 390 px as well."""
    check_page(page, name, output_dir)
    original = page.viewport_size
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(150)
    page.screenshot(path=str(output_dir / f"{name}-390.png"), full_page=True)
    if original is not None:
        page.set_viewport_size(original)


def _fill_opening(page: Page, base: str) -> None:
    page.goto(f"{base}/evenements/nouveau")
    page.get_by_label("Titre de l'événement").fill("Crue de l'Orge")
    page.locator('label[for="nature-exercice"]').click()
    page.get_by_label("Décision prise par").fill("la préfète")
    page.get_by_label("Référence SYNERGI").fill("SYN-91-7")


def test_two_tabs_open_one_event_and_the_second_is_shown_the_first(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    first = new_page(browser, PHONE)
    sign_in(first, live.url, "Claire Martin")
    second = first.context.new_page()  # another tab of the same person
    _fill_opening(first, live.url)
    _fill_opening(second, live.url)
    first.get_by_role("button", name="Enregistrer l'événement").click()
    expect(first.get_by_role("status")).to_contain_text("Événement enregistré.")
    second.get_by_role("button", name="Enregistrer l'événement").click()
    expect(second.locator("#doublon")).to_contain_text("rien n'a été créé")
    setattr(second, "console_problems", [])  # noqa: B010 - the 409 is the page itself
    _pictures(second, "ouvrir-doublon", output_dir)
    second.get_by_role("link", name="Rejoindre « Crue de l'Orge »").click()
    expect(second).to_have_url(first.url.split("?")[0])
    with live.service.bus.reading() as uow:
        assert len(uow.crises.find()) == 1

    # Another person, the préfète on her desk: the same answer; she confirms another event.
    prefect = new_page(browser, DESK)
    sign_in(prefect, live.url, "Préfète Durand")
    _fill_opening(prefect, live.url)
    prefect.get_by_role("button", name="Enregistrer l'événement").click()
    prefect.get_by_role("button", name="C'est un autre événement : l'enregistrer").click()
    expect(prefect.get_by_role("status")).to_contain_text("Événement enregistré.")
    with live.service.bus.reading() as uow:
        assert len(uow.crises.find()) == 2


def test_send_shows_what_goes_out_and_a_declaration_is_corrected(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    officer = new_page(browser, DESK)
    sign_in(officer, live.url, "Claire Martin")
    _fill_opening(officer, live.url)
    officer.get_by_role("button", name="Enregistrer l'événement").click()
    crisis_id = officer.url.split("/evenements/")[1].split("?")[0]
    bus = live.service.bus
    held = bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Crue de l'Orge : évitez les berges à Étampes."),),
            audiences=(Audience.ELUS,),
        ),
        actor=Actor("Hugo Bernard", "comm_cell"),
    )

    prefect = new_page(browser, PHONE)
    sign_in(prefect, live.url, "Préfète Durand")
    queue = prefect.locator("#file-validation")
    expect(queue).to_contain_text("Ce qui partira, canal par canal")
    expect(queue).to_contain_text("codage GSM 7 bits")
    expect(queue.locator("[data-temps-restant]")).to_contain_text("reste")
    _pictures(prefect, "validation-apercu", output_dir)

    bus.handle(
        ApproveDraft(crisis_id=crisis_id, draft_id=held.draft_id),
        actor=Actor("Préfète Durand", "prefect"),
    )
    officer.goto(f"{live.url}/evenements/{crisis_id}#messages")
    officer.locator(f'a[href$="/brouillons/{held.draft_id}/envoyer"]').click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Envoyer ce message ?")
    expect(officer.locator('[data-canal="sms"]')).to_contain_text("destinataire")
    expect(officer.get_by_text("sur 3 canaux")).to_be_visible()  # French plural, not « canals »
    _pictures(officer, "envoyer-confirmation", output_dir)
    officer.get_by_role("button", name="Confirmer l'envoi").click()
    expect(officer.get_by_role("status")).to_contain_text("Message mis en diffusion.")

    # The cell declared operational, then corrected: the declaration was a mistake.
    officer.get_by_role("link", name="Cellule opérationnelle").click()
    officer.get_by_role("button", name="Confirmer : la cellule est opérationnelle").click()
    expect(officer.locator('[data-clock="cell"]')).to_contain_text("tenue")
    officer.locator("#correction summary").click()
    officer.get_by_label("Motif de la correction").fill("bouton touché par erreur")
    _pictures(officer, "evenement-correction", output_dir)
    officer.get_by_role("button", name="Enregistrer la correction").click()
    expect(officer.get_by_role("status")).to_contain_text("Correction enregistrée au journal")
    expect(officer.locator('[data-clock="cell"]')).not_to_contain_text("tenue")


def test_an_unknown_address_has_a_way_back(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Claire Martin")
    answer = page.goto(f"{live.url}/evenemnts/nouveau")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    setattr(page, "console_problems", [])  # noqa: B010 - the 404 is the page itself
    _pictures(page, "page-introuvable", output_dir)
    page.get_by_role("link", name="Retour au tableau de bord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")


def test_the_template_editor_and_folded_forms_fit_a_phone(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    """At 390 px nothing is wider than the screen, every folded part opened (the editor was
    413 px wide, the fields of a <details> overflowed by 16 to 40 px)."""
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Hugo Bernard")
    for path in ("/modeles/nouveau-modele", "/modeles/information_elus/nouvelle-version"):
        page.goto(f"{live.url}{path}")
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
        assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"], path
    page.screenshot(path=str(output_dir / "modele-edition-390.png"), full_page=True)
