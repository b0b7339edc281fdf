"""The population's page in the browser: a real event with its CIP answering and an exercise,
axe-clean at 360 and 1280 px under the strict CSP, and the same page without JavaScript."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from crisis.bootstrap import Service
from crisis.domain.commands import SendMessage
from crisis.domain.draft_commands import ApproveDraft, SendDraft
from crisis.domain.oncall import DeclareCipOperational, OrderCip
from crisis.domain.vocabulary import Audience
from crisis.services.context import Actor
from crisis.services.message_handlers import PendingApproval
from tests.browser.conftest import DESK, NARROW, LiveService, check_page, new_page
from tests.integration.delivery.conftest import CELL, open_active

PREFECT = Actor(name="Préfète Durand", role="prefect", user_id="u-prefete")
FLOOD = (
    "Crue de la Seine : la montée des eaux se poursuit à Corbeil-Essonnes et à "
    "Évry-Courcouronnes.\nLes berges et les parkings en bord de Seine sont fermés. Ne vous "
    "engagez pas sur une route inondée, à pied ou en voiture."
)
SCHOOLS = "Les écoles de Corbeil-Essonnes restent fermées demain, mardi."


def publish(service: Service, crisis_id: str, title: str, text: str) -> None:
    """On the feed, through the préfet's approval as the service requires it."""
    message = SendMessage(
        crisis_id=crisis_id,
        texts=(("default", text), ("feed_title", title)),
        audiences=(Audience.PUBLIC,),
        channels=("feed",),
    )
    sent = service.bus.handle(message, actor=CELL)
    assert isinstance(sent, PendingApproval)
    service.bus.handle(ApproveDraft(crisis_id=crisis_id, draft_id=sent.draft_id), actor=PREFECT)
    service.bus.handle(SendDraft(crisis_id=crisis_id, draft_id=sent.draft_id), actor=PREFECT)


def shown(page: Page, url: str, text: str) -> None:
    """Reload until the dispatcher has published `text` (it runs in the live service)."""
    for _ in range(50):
        page.goto(url)
        if page.get_by_text(text).count():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"« {text} » n'est jamais apparu sur {url}")


def test_the_public_pages_in_the_browser(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    service = live.service
    page = new_page(browser, NARROW)
    page.goto(f"{live.url}/public")
    expect(page).to_have_title("Préfecture — informations de crise")
    expect(page.get_by_text("Aucune information en cours.")).to_be_visible()
    check_page(page, "public-vide", output_dir)

    real = open_active(service, exercise=False)
    service.bus.handle(OrderCip(crisis_id=real, numero_unique="01 69 91 91 91"), actor=PREFECT)
    service.bus.handle(DeclareCipOperational(crisis_id=real), actor=PREFECT)
    publish(service, real, "Crue de la Seine : berges fermées", FLOOD)
    # The feed lists publications in the order the dispatcher recorded them: the second
    # message is sent once the first is out, as the cell would.
    shown(page, f"{live.url}/public", FLOOD)
    publish(service, real, "Écoles fermées à Corbeil-Essonnes", SCHOOLS)
    shown(page, f"{live.url}/public", SCHOOLS)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("banner")).to_contain_text("Préfecture de l'Essonne")
    call = page.get_by_role("link", name="Appeler le 01 69 91 91 91")
    expect(call).to_have_attribute("href", "tel:+33-1-69-91-91-91")
    expect(call).to_be_in_viewport()  # on a phone, without scrolling
    headings = page.locator("article h3")
    expect(headings.first).to_have_text("Écoles fermées à Corbeil-Essonnes")
    expect(page.locator("article").first).to_contain_text("La plus récente")
    expect(page.get_by_role("link", name="Flux Atom").first).to_have_attribute(
        "href", "/public/feed.atom"
    )
    # Nothing wider than the phone: no sideways scrolling at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    check_page(page, "public", output_dir)

    drill = open_active(service, exercise=True)
    publish(service, drill, "Exercice de crue", "Rassemblement au gymnase Jean-Macé à 15 h.")
    shown(page, f"{live.url}/public/exercice", "gymnase Jean-Macé")
    expect(page).to_have_title("Préfecture — informations de crise — EXERCICE")
    expect(page.get_by_role("note", name="Exercice")).to_contain_text("aucune action réelle")
    expect(page.get_by_text("Appeler le")).to_have_count(0)
    check_page(page, "public-exercice", output_dir)

    # Without JavaScript the page is the same: it has none.
    plain = browser.new_context(viewport=DESK, java_script_enabled=False, locale="fr-FR")
    bare = plain.new_page()
    bare.goto(f"{live.url}/public")
    expect(bare.get_by_role("link", name="Appeler le 01 69 91 91 91")).to_be_visible()
    expect(bare.get_by_text(SCHOOLS)).to_be_visible()
    plain.close()
