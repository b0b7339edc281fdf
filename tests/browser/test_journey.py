"""The crisis hour in the browser: activation, four clocks, composing, the préfet's approval on
a phone, deliveries reaching the fakes, the `elus` clock met on the dashboard without reload."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from crisis.domain.vocabulary import ClockName
from tests.browser.conftest import (
    DESK,
    PASSWORD,
    PHONE,
    LiveService,
    check_page,
    new_page,
    sign_in,
)


def _clock_detail(page: Page, clock: str) -> str:
    return page.locator(f'#evenements [data-clock="{clock}"] .console-clock__detail').inner_text()


def _wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_the_crisis_hour(live: LiveService, browser: Browser, output_dir: Path) -> None:
    # The duty officer, woken at night, activates the COD from a phone.
    officer = new_page(browser, PHONE)
    sign_in(officer, live.url, "Claire Martin")
    officer.get_by_role("link", name="Ouvrir un événement et activer le COD").click()
    check_page(officer, "ouvrir", output_dir)
    officer.get_by_label("Titre de l'événement").fill("Crue de la Seine")
    officer.get_by_label("Communes concernées").select_option(
        ["Corbeil-Essonnes", "Évry-Courcouronnes"]
    )
    officer.locator('label[for="nature-exercice"]').click()
    officer.get_by_label("Décision prise par").fill("la préfète")
    officer.get_by_label("Référence SYNERGI").fill("SYN-91-2026-0042")
    officer.get_by_role("button", name="Enregistrer l'événement").click()
    expect(officer.get_by_role("status")).to_contain_text("Événement enregistré.")
    crisis_id = officer.url.split("/evenements/")[1].split("?")[0]

    # The dashboard: four clocks counting down, under the EXERCICE banner.
    officer.goto(f"{live.url}/")
    expect(officer.locator("#evenements .console-clock")).to_have_count(4)
    expect(officer.locator(".console-exercise-banner")).to_be_visible()
    before = _clock_detail(officer, "elus")
    expect(
        officer.locator('#evenements [data-clock="elus"] .console-clock__detail')
    ).not_to_have_text(before, timeout=3000)
    for clock in ("cell", "elus", "public", "media"):
        expect(officer.locator(f'#evenements [data-clock="{clock}"]')).to_contain_text("en cours")
    check_page(officer, "tableau", output_dir)

    # The cell on call was paged at activation; one member answers the duty officer by phone,
    # who records it for them (« pour le compte de »).
    officer.goto(f"{live.url}/evenements/{crisis_id}")
    callout = officer.locator("#astreinte")
    expect(callout).to_contain_text("Sarah Réseaux")
    expect(callout).to_contain_text("non atteint")
    callout.get_by_role("button", name="Accusé reçu par téléphone").first.click()
    expect(officer.get_by_role("status")).to_contain_text("Accusé de réception enregistré.")
    expect(officer.locator("#astreinte")).to_contain_text("reçu (téléphone, saisi dans la console)")
    officer.goto(f"{live.url}/")  # back to the dashboard, which follows the clocks live

    # The communication cell, at a desk, composes from information_elus with a live preview;
    # it records nobody's acknowledgement but its own.
    cell = new_page(browser, DESK)
    sign_in(cell, live.url, "Hugo Bernard")
    cell.goto(f"{live.url}/evenements/{crisis_id}")
    expect(cell.locator('#astreinte form[action$="/accuses"]')).to_have_count(0)
    cell.get_by_role("link", name="Rédiger un message").click()
    cell.get_by_label("Modèle de message").select_option("information_elus")
    cell.get_by_role("button", name="Choisir ce modèle").click()
    cell.get_by_label("Nature de l'événement, en minuscules").fill("crue de la Seine")
    cell.get_by_label("Faits établis à cette heure").fill(
        "La Seine déborde à Corbeil-Essonnes. Aucune victime n'est signalée à cette heure."
    )
    cell.get_by_label("Mesures prises par les services").fill(
        "Le centre opérationnel départemental est activé. Les berges sont fermées."
    )
    cell.get_by_label("Numéro de la permanence").fill("01 69 91 91 91")
    sms = cell.locator('#apercu [data-variant="sms"]')
    expect(sms).to_contain_text("EXERCICE", timeout=5000)
    expect(sms).to_contain_text("SMS")
    expect(sms).to_contain_text("segment")
    expect(cell.locator("#circuit")).to_contain_text("Soumettre au préfet")
    check_page(cell, "rediger", output_dir)
    cell.get_by_role("button", name="Soumettre au préfet").click()
    expect(cell.get_by_role("status")).to_contain_text("soumis à la validation du préfet")
    check_page(cell, "evenement-message-soumis", output_dir)

    # The préfète signs in on her phone: the queue comes first; she approves.
    prefect = new_page(browser, PHONE)
    sign_in(prefect, live.url, "Préfète Durand")
    expect(prefect).to_have_url(f"{live.url}/validation")
    expect(prefect.get_by_text("rédigé par")).to_contain_text("Hugo Bernard")
    prefect.screenshot(path=str(output_dir / "validation-telephone-390x844.png"))
    check_page(prefect, "validation", output_dir)
    live.fakes.sms.fail_next(2, status=400)  # the SMS gateway refuses the first two
    prefect.get_by_role("button", name="Valider et envoyer").click()
    expect(prefect.get_by_role("status")).to_contain_text("validé et mis en diffusion")
    check_page(prefect, "validation-faite", output_dir)

    # Deliveries reach the fakes (exercise recipients, EXERCICE marker).
    fakes = live.fakes
    assert _wait_until(lambda: fakes.smtp.mails and fakes.telegram.sent, 20), "nothing delivered"

    # The clock of the élus is met: the dashboard shows it within 2 s, without reloading.
    def elus_met() -> bool:
        with live.service.bus.unit_of_work() as uow:
            return uow.crises.get(crisis_id).clocks[ClockName.ELUS].met_at is not None

    assert _wait_until(elus_met, 20)
    elus = officer.locator('#evenements [data-clock="elus"]')
    expect(elus).to_contain_text("tenue", timeout=2000)
    expect(officer.locator('#evenements [data-clock="public"]')).to_contain_text("en cours")
    check_page(officer, "tableau-elus-tenue", output_dir)

    # The event page: the delivery board, the SMS refused with the reason in French, retried.
    cell.goto(f"{live.url}/evenements/{crisis_id}")
    expect(cell.locator("#messages table").first).to_be_visible()
    expect(cell.locator("#journal")).to_contain_text("Message validé")
    retry = cell.get_by_role("button", name="Relancer")
    expect(retry).to_have_count(2)
    check_page(cell, "evenement-apres-envoi", output_dir)
    retry.first.click()
    expect(cell.get_by_role("status")).to_contain_text("Diffusion relancée.")
    assert _wait_until(lambda: any("EXERCICE" in m.text for m in fakes.sms.messages), 20)

    # Nothing secret reached the service's logs: no password, no session id.
    secrets = [PASSWORD] + [
        c["value"] for p in (officer, cell, prefect) for c in p.context.cookies() if c["value"]
    ]
    logged = "\n".join(live.logs.lines)
    assert logged  # the access log was recorded
    assert not [s for s in secrets if s in logged]
