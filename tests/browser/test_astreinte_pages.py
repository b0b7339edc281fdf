"""L'astreinte in the browser: on call now and the week, a Telegram binding code with its QR
code, the roster import (refused with its line numbers, then previewed and applied), and the
auditor refused."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, FilePayload, expect

from crisis.clock import PARIS
from crisis.domain.oncall import BindTelegram
from crisis.services.context import SYSTEM_ACTOR
from tests.browser.conftest import DESK, PHONE, LiveService, check_page, new_page, sign_in


def _roster(live: LiveService, end_text: str) -> FilePayload:
    start = (live.service.clock.now() - timedelta(hours=1)).astimezone(PARIS)
    end = start + timedelta(hours=30)
    text = (
        "nom;role;debut;fin;email\n"
        f"Chloé Chef;chef de cellule;{start:%d/%m/%Y %H:%M};{end:%d/%m/%Y %H:%M};\n"
        f"Inès Nouvelle;rédacteur;{start:%d/%m/%Y %H:%M};{end_text or f'{end:%d/%m/%Y %H:%M}'};"
        "ines@prefecture.gouv.fr\n"
    )
    return {"name": "astreinte.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def test_the_duty_officer_keeps_the_roster(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Claire Martin")
    page.goto(f"{live.url}/astreinte")
    now_list = page.locator(".console-oncall")
    expect(now_list).to_contain_text("Chef de cellule : Chloé Chef")
    expect(now_list).to_contain_text("Rédacteur : Rémi Rédac")
    week = page.get_by_role("table", name="Astreinte des sept prochains jours")
    expect(week.get_by_role("row", name=re.compile("Chargé des réseaux sociaux"))).to_contain_text(
        "Sarah Réseaux"
    )

    # A one-time code and its QR code; the bot accepts it once.
    page.get_by_role("button", name="Code de liaison Telegram pour Rémi Rédac").click()
    alert = page.get_by_role("status").filter(has_text="Code de liaison Telegram pour Rémi Rédac")
    expect(alert.get_by_role("img", name="QR code")).to_be_visible()
    link = alert.get_by_role("link").get_attribute("href") or ""
    assert link.startswith("https://t.me/prefecture91_bot?start=")
    code = link.rsplit("=", 1)[1]
    check_page(page, "astreinte-code-telegram", output_dir)
    live.service.bus.handle(BindTelegram(code=code, telegram_chat_id="777"), actor=SYSTEM_ACTOR)

    # A roster with an error on line 3: listed, nothing changed.
    page.set_viewport_size(DESK)
    page.goto(f"{live.url}/astreinte")
    page.get_by_label("Fichier du tableau d'astreinte").set_input_files(
        _roster(live, "demain matin")
    )
    page.get_by_role("button", name="Vérifier le fichier").click()
    errors = page.get_by_role("table", name="Erreurs du tableau d'astreinte")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("3")
    expect(page.get_by_role("alert")).to_contain_text("rien n'a été importé")
    check_page(page, "astreinte-import-erreurs", output_dir)
    expect(page.locator(".console-oncall")).to_contain_text("Rémi Rédac")

    page.get_by_label("Fichier du tableau d'astreinte").set_input_files(_roster(live, ""))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("status").last).to_contain_text("2 astreinte(s) pour 2 membre(s)")
    expect(page.locator(".console-oncall")).to_contain_text("Rémi Rédac")  # not yet applied
    page.get_by_role("button", name="Appliquer le tableau d'astreinte").click()
    expect(page.get_by_role("status").last).to_contain_text("Tableau d'astreinte importé")
    expect(page.locator(".console-oncall")).to_contain_text("Rédacteur : Inès Nouvelle")
    check_page(page, "astreinte", output_dir)


def test_the_auditor_sees_the_roster_and_may_not_issue_codes(
    live: LiveService, browser: Browser
) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Paul Auditeur")
    page.goto(f"{live.url}/astreinte")
    expect(page.locator(".console-oncall")).to_contain_text("Chloé Chef")
    expect(page.get_by_role("button", name=re.compile("Code de liaison"))).to_have_count(0)
    expect(page.get_by_label("Fichier du tableau d'astreinte")).to_have_count(0)
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    with live.service.bus.unit_of_work() as uow:
        member_id = uow.oncall.members()[0].id
    answer = page.request.post(
        f"{live.url}/astreinte/membres/{member_id}/code-telegram", form={"csrf_token": token}
    )
    assert answer.status == 403
