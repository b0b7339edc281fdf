"""The event page's phone calls on a 360 px phone and on a desk: a card per call (who, the
number masked, the outcome in French, attempts, time), no sideways scrolling; axe-clean."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.conftest import DESK, NARROW, LiveService, check_page, new_page, sign_in
from tests.integration.web.call_rows import open_exercise, write_calls


def test_the_calls_fit_a_phone_as_cards_and_a_desk_as_a_table(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    crisis_id = open_exercise(live.service)
    write_calls(live.service, crisis_id, exercise=True)
    page = new_page(browser, NARROW)
    sign_in(page, live.url, "Claire Martin")
    page.goto(f"{live.url}/evenements/{crisis_id}#appels")
    calls = page.locator("#appels")
    expect(calls).to_contain_text("06 •• •• •• 78")
    expect(calls).to_contain_text("touche 1 : accusé de réception")
    expect(calls).to_contain_text("occupé — nouvel essai prévu")
    expect(calls).to_contain_text("pas de réponse")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for row in calls.locator("tbody tr").all():
        box = row.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"]
    head = calls.locator("thead").bounding_box()
    assert head is not None and head["height"] <= 1  # cards: the heads are the cells' labels
    calls.screenshot(path=str(output_dir / "evenement-appels-telephone-360.png"))
    page.set_viewport_size(DESK)
    expect(calls.locator("thead")).to_be_visible()
    calls.screenshot(path=str(output_dir / "evenement-appels-bureau-1280.png"))
    check_page(page, "evenement-appels", output_dir)
