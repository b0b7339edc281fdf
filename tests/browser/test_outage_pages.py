"""The database goes away while the duty officer watches the dashboard, then comes back."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import (
    DESK,
    PHONE,
    LiveService,
    axe_violations,
    check_page,
    console_problems,
    new_page,
    sign_in,
)
from tests.database_outage import database_down


def _look_during_the_outage(page: Page, name: str, output_dir: Path) -> None:
    """axe-core and a picture at both widths; htmx logs each failed poll as a console error,
    which `check_page` would count."""
    for label, viewport in (("360", PHONE), ("1280", DESK)):
        page.set_viewport_size(viewport)
        assert not axe_violations(page), name
        page.screenshot(path=str(output_dir / f"{name}-{label}.png"))


def test_frozen_clocks_say_so_and_a_page_says_why(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Claire Martin")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    notice = page.locator("#liaison-interrompue")
    expect(notice).to_be_hidden()

    with database_down(live.service.engine):
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("Liaison avec le service interrompue")
        expect(notice).to_contain_text("horloges et listes ne sont plus mises à jour")
        # The last good answer's time, in Paris: the page shows what it was then.
        expect(notice.locator("[data-derniere-mise-a-jour]")).to_have_text(
            re.compile(r"^\d{2}:\d{2}:\d{2}$")
        )
        _look_during_the_outage(page, "liaison-interrompue", output_dir)

        page.reload()
        expect(page.get_by_role("heading", name="Base de données injoignable")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("Réessayez dans un instant")
        _look_during_the_outage(page, "base-injoignable", output_dir)

    # Back without a restart: the same session, the dashboard, no notice; from here on, no
    # console error at all (htmx logged one per failed poll during the outage).
    console_problems(page).clear()
    page.reload()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    expect(notice).to_be_hidden()
    check_page(page, "tableau-apres-coupure", output_dir)


def test_the_notice_is_for_a_lost_link_only(live: LiveService, browser: Browser) -> None:
    page = new_page(browser, DESK)
    sign_in(page, live.url, "Claire Martin")
    notice = page.locator("#liaison-interrompue")
    refused: list[Route] = []

    def refuse(route: Route) -> None:
        refused.append(route)
        route.fulfill(status=404, body="")

    # A refusal (4xx) is an answer: the link is there, no notice.
    page.route("**/tableau/evenements", refuse)
    while len(refused) < 3:
        page.wait_for_timeout(100)
    expect(notice).to_be_hidden()
    page.unroute("**/tableau/evenements")

    # No answer at all: the notice, until a poll succeeds again.
    page.route("**/tableau/evenements", lambda route: route.abort("connectionrefused"))
    expect(notice).to_be_visible()
    page.unroute("**/tableau/evenements")
    expect(notice).to_be_hidden()


def test_the_public_page_stays_with_a_notice(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{live.url}/public")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Mise à jour momentanément interrompue")).to_have_count(0)
    with database_down(live.service.engine):
        page.reload()
        expect(page.get_by_text("Mise à jour momentanément interrompue")).to_be_visible()
        expect(page.get_by_text("Aucune information en cours.")).to_be_visible()
        check_page(page, "public-coupure", output_dir)
    page.reload()
    expect(page.get_by_text("Mise à jour momentanément interrompue")).to_have_count(0)
