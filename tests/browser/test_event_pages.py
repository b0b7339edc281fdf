"""Opening an event on a phone, then its page: errors beside fields, four clocks, actions; the
callout and the delivery boards in French, readable on a 360 px phone without sideways
scrolling."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from crisis.domain.commands import SendMessage
from crisis.domain.draft_commands import ApproveDraft, SendDraft
from crisis.domain.oncall import AcknowledgePage
from crisis.domain.vocabulary import Audience
from crisis.fanout_runner import FanoutRunner
from crisis.services import fanout_handlers, message_handlers
from crisis.services.context import Actor
from tests.browser.conftest import (
    DESK,
    NARROW,
    PHONE,
    LiveService,
    check_page,
    new_page,
    sign_in,
)
from tests.integration.delivery.conftest import CELL, OFFICER, open_active

PREFECT = Actor(name="Préfète Durand", role="prefect", user_id="u-prefect")
# The codes the store keeps for channels and delivery statuses: a person never reads them.
RAW_CODES = re.compile(
    r"\b(email|sms|telegram_dm|telegram_public|webhook|in_flight|pending|accepted|failed"
    r"|refused)\b"
)


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

    page.get_by_role("link", name="Cellule opérationnelle").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("opérationnelle ?")
    check_page(page, "cellule-confirmation", output_dir)
    page.get_by_role("button", name="Confirmer : la cellule est opérationnelle").click()
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


def _wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


def _settled(live: LiveService, crisis_id: str) -> bool:
    """Every delivery of the event accepted, failed or refused: none waiting, none in flight."""
    with live.service.bus.unit_of_work() as uow:
        return all(
            r.status not in ("pending", "in_flight")
            for m in uow.outbox.messages_of(crisis_id)
            for r in uow.outbox.deliveries_of(message_id=m.id)
        )


def _overflow(page: Page) -> dict[str, int]:
    """How far the page, and each table's scrolling box, are wider than what they show."""
    found: dict[str, int] = page.evaluate(
        """() => {
            const widths = {page: document.documentElement.scrollWidth - window.innerWidth};
            document.querySelectorAll("main .fr-table__container").forEach((box, i) => {
                const name = box.closest("section").id + " " + i;
                widths[name] = box.scrollWidth - box.clientWidth;
            });
            return widths;
        }"""
    )
    return found


def send_to_elus(live: LiveService, crisis_id: str, text: str) -> None:
    """A free text to the élus, held for the préfète, approved and sent by her."""
    held = live.service.bus.handle(
        SendMessage(crisis_id=crisis_id, texts=(("default", text),), audiences=(Audience.ELUS,)),
        actor=CELL,
    )
    live.service.bus.handle(
        ApproveDraft(crisis_id=crisis_id, draft_id=held.draft_id), actor=PREFECT
    )
    live.service.bus.handle(SendDraft(crisis_id=crisis_id, draft_id=held.draft_id), actor=PREFECT)


def test_the_event_page_on_a_phone_names_channels_and_fits_the_screen(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    crisis_id = open_active(live.service, exercise=True)  # the cell on call is paged at once
    _wait_until(lambda: _settled(live, crisis_id), 20)
    live.fakes.sms.fail_next(2, status=400)  # the SMS gateway refuses both maires
    send_to_elus(live, crisis_id, "Crue de la Seine : évitez les berges à Corbeil-Essonnes.")
    _wait_until(lambda: _settled(live, crisis_id), 20)
    with live.service.bus.unit_of_work() as uow:
        redacteur = next(m for m in uow.oncall.members() if m.name == "Rémi Rédac")
    live.service.bus.handle(
        AcknowledgePage(via="console", member_id=redacteur.id, crisis_id=crisis_id),
        actor=OFFICER,  # received by telephone: the duty officer records it for him
    )

    page = new_page(browser, NARROW)
    sign_in(page, live.url, "Hugo Bernard")
    page.goto(f"{live.url}/evenements/{crisis_id}")
    callout = page.locator("#astreinte")
    messages = page.locator("#messages")
    expect(callout).to_contain_text("Telegram (message personnel)")
    expect(callout).to_contain_text("courriel")
    expect(callout).to_contain_text("reçu (téléphone, saisi dans la console)")
    expect(messages).to_contain_text("SMS → Maire d'Évry : en échec après 1 essai(s)")
    expect(messages).to_contain_text("en cours d'envoi")
    for section in (callout, messages):
        text = section.inner_text()
        assert not RAW_CODES.findall(text), RAW_CODES.findall(text)

    # At 360 px: no sideways scrolling, of the page or inside a table; every card on screen.
    overflow = _overflow(page)
    assert max(overflow.values()) <= 0, overflow
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for row in page.locator("#astreinte tbody tr, #messages tbody tr").all():
        box = row.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"]
    # Each count names its status (the card's label is the cell's own, read aloud too).
    sms = messages.get_by_role("row").filter(has=page.get_by_role("rowheader", name="SMS"))
    expect(sms.get_by_role("cell", name="en échec 2")).to_be_visible()
    head = callout.locator("thead").bounding_box()  # kept for screen readers, out of sight
    assert head is not None and head["height"] <= 1
    # For the README: the callout and the first delivery boards, as a phone shows them.
    top = page.evaluate(
        "document.querySelector('#astreinte').getBoundingClientRect().top + scrollY"
    )
    page.screenshot(
        path=str(output_dir / "evenement-diffusions-telephone-360.png"),
        full_page=True,
        clip={"x": 0, "y": top, "width": NARROW["width"], "height": 2200},
    )
    check_page(page, "evenement-diffusions", output_dir)

    # On a desk they stay tables, with their column heads.
    page.set_viewport_size(DESK)
    expect(callout.locator("thead")).to_be_visible()
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#messages table')).display")
        == "table"
    )
    assert max(_overflow(page).values()) <= 0, _overflow(page)


def test_a_message_to_a_large_audience_says_it_is_still_being_queued(
    live: LiveService, browser: Browser, output_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The background writer paused, so that the page is seen while the fan-out is midway.
    assert live.service.fanouts is not None
    live.service.fanouts.stop()
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 1)
    monkeypatch.setattr(message_handlers, "INLINE_CONTACTS", 1)
    crisis_id = open_active(live.service, exercise=False)
    send_to_elus(live, crisis_id, "Crue de l'Orge : évitez les berges et les sous-sols.")
    page = new_page(browser, NARROW)
    sign_in(page, live.url, "Hugo Bernard")
    page.goto(f"{live.url}/evenements/{crisis_id}#messages")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("mise en file en cours")
    check_page(page, "evenement-mise-en-file", output_dir)

    FanoutRunner(live.service.bus).run_pending()
    page.reload()
    expect(messages).not_to_contain_text("mise en file en cours")
