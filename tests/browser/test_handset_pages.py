"""The event page's « Remise au téléphone » table and its SMS not delivered, on a phone and
on a desk: readable, labelled, accessible (axe-core), without sideways scrolling."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, expect

from channels.contract import HandsetReceipt
from crisis.clock import PARIS
from crisis.domain.commands import RecordHandsetReceipts
from crisis.services.context import SYSTEM_ACTOR
from tests.browser.conftest import DESK, NARROW, LiveService, check_page, new_page, sign_in
from tests.browser.test_event_pages import _overflow, _settled, _wait_until, send_to_elus
from tests.integration.delivery.conftest import open_active


def test_the_event_page_shows_what_reached_the_handsets(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    crisis_id = open_active(live.service, exercise=True)
    _wait_until(lambda: _settled(live, crisis_id), 20)
    send_to_elus(live, crisis_id, "Crue de la Seine : évitez les berges à Corbeil-Essonnes.")
    _wait_until(lambda: _settled(live, crisis_id), 20)
    # The HTTP gateway sends no receipts: its two SMS are given parts and receipts here, as
    # the SMPP channel and its recorder would.
    with live.service.bus.unit_of_work() as uow:
        sms = [
            r
            for m in uow.outbox.messages_of(crisis_id)
            for r in uow.outbox.deliveries_of(message_id=m.id)
            if r.channel == "sms" and r.audience == "elus"
        ]
        uow.receipts.add_parts("sms/exercice", [(r.id, [f"P-{r.id}"]) for r in sms])
        uow.commit()
    # Twelve seconds from queueing to the handset, whatever time the machine took to send.
    queued = max(r.queued_at for r in sms)
    outcomes = [
        (True, "DELIVRD", "remis au téléphone"),
        (
            False,
            "EXPIRED",
            "non remis : délai de validité expiré (téléphone éteint ou hors réseau)",
        ),
    ]
    receipts = tuple(
        HandsetReceipt(
            channel="sms",
            provider_message_id=f"P-{row.id}",
            delivered=delivered,
            state=state,
            reason=reason,
            received_at=queued + timedelta(seconds=12),
        )
        for row, (delivered, state, reason) in zip(sms, outcomes, strict=True)
    )
    live.service.bus.handle(
        RecordHandsetReceipts(route="sms/exercice", receipts=receipts), actor=SYSTEM_ACTOR
    )

    page = new_page(browser, NARROW)
    sign_in(page, live.url, "Hugo Bernard")
    page.goto(f"{live.url}/evenements/{crisis_id}")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("Remise au téléphone (accusés de l'opérateur)")
    expect(messages).to_contain_text("accepté mais non remis : délai de validité expiré")
    row = messages.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Élus (SMS)"))
    expect(row.get_by_role("cell", name="Remis au téléphone 1")).to_be_visible()
    overflow = _overflow(page)
    assert max(overflow.values()) <= 0, overflow
    check_page(page, "evenement-remise-telephone", output_dir)
    page.set_viewport_size(DESK)
    assert max(_overflow(page).values()) <= 0, _overflow(page)
    # The indicators: the same figures per audience, from the journal, in the exercises' rows.
    day = queued.astimezone(PARIS).date().isoformat()
    page.goto(f"{live.url}/indicateurs?du={day}&au={day}")
    table = page.get_by_role("table", name="Remise des SMS au téléphone")
    row = table.get_by_role("row").filter(has_text="Exercices")
    # Public, canal, envoyés, acceptés, remis, non remis, médiane et pire (s).
    expect(row.get_by_role("cell")).to_have_text(
        ["Exercices", "Élus", "SMS", "2", "2", "1", "1", "12", "12"]
    )
    page.set_viewport_size(NARROW)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_page(page, "indicateurs-remise-sms", output_dir)
    for label, viewport in (("360", NARROW), ("1280", DESK)):
        page.set_viewport_size(viewport)
        table.screenshot(path=str(output_dir / f"indicateurs-remise-sms-tableau-{label}.png"))
