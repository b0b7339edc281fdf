"""The sign-in page with ProConnect configured: its DSFR button; and when the federation does
not answer, the break-glass message over the password form. axe-clean at both widths."""

from __future__ import annotations

import socket
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.conftest import PHONE, LiveService, check_page, new_page, sign_in


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_proconnect_button_and_the_break_glass_message(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    settings = live.service.settings
    settings.oidc_issuer = f"http://127.0.0.1:{_closed_port()}"  # nobody answers there
    settings.oidc_client_id = "console-de-crise"
    settings.oidc_timeout_seconds = 2
    page = new_page(browser, PHONE)
    page.goto(f"{live.url}/connexion")
    expect(page.get_by_role("button", name="S’identifier avec ProConnect")).to_be_visible()
    check_page(page, "connexion-proconnect", output_dir)

    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "ProConnect injoignable, utilisez votre mot de passe de secours"
    )
    check_page(page, "connexion-proconnect-injoignable", output_dir)
    sign_in(page, live.url, "Claire Martin")  # the password still signs in
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
