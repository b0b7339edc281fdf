"""L'administration in the browser: an account's sign-in delays lifted, an account deactivated
(its open session refused at its next request) and reactivated, a role changed, a password refused
then reset, an API token revoked, a user added — each journalled on the system chain — and
every other role refused, even by a hand-crafted POST."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from crisis.domain.commands import AddUser
from crisis.domain.signin_throttle import Scope, account_key
from crisis.services.context import SYSTEM_ACTOR
from crisis.store.journal import SYSTEM_STREAM
from tests.browser.conftest import (
    DESK,
    PASSWORD,
    PHONE,
    LiveService,
    check_page,
    new_page,
    sign_in,
)


def _system_kinds(live: LiveService) -> list[str]:
    with live.service.bus.unit_of_work() as uow:
        return [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]


def test_the_administrator_keeps_the_accounts(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    bus = live.service.bus
    bus.handle(AddUser(name="Alice Admin", role="admin", password=PASSWORD), actor=SYSTEM_ACTOR)
    api_token = bus.handle(AddUser(name="Robot SIG", role="auditor"), actor=SYSTEM_ACTOR)["token"]
    with bus.unit_of_work() as uow:
        claire = uow.users.by_name("Claire Martin")
        assert claire is not None
        key = account_key(claire.name)
        uow.signin_throttle.record_failure(Scope.ACCOUNT, key, failures=9, at=uow.now)
        uow.commit()
    # Paul is signed in on his phone when his account is deactivated.
    paul = new_page(browser, PHONE)
    sign_in(paul, live.url, "Paul Auditeur")
    expect(paul.get_by_role("heading", level=1)).to_be_visible()

    page = new_page(browser, DESK)
    sign_in(page, live.url, "Alice Admin")
    # No event: the dashboard lists the administrator's first steps, with their links.
    expect(page.locator("#premiers-pas")).to_have_text("Premiers pas de l'administrateur")
    expect(page.get_by_role("link", name="Importer les contacts")).to_be_visible()
    check_page(page, "tableau-administrateur", output_dir)
    page.get_by_role("link", name="Administration", exact=True).click()
    claire_card = page.locator(".console-chains > li").filter(has_text="Claire Martin")
    expect(claire_card).to_contain_text("ralenti")
    expect(page.locator("#echecs + p + div table")).to_contain_text("claire martin")
    check_page(page, "administration", output_dir)
    page.get_by_role("button", name="Lever les délais de connexion de Claire Martin").click()
    expect(page.get_by_role("status")).to_contain_text("Délais de connexion levés")
    expect(claire_card).not_to_contain_text("ralenti")

    page.get_by_role("button", name="Désactiver le compte de Paul Auditeur").click()
    expect(page.get_by_role("status")).to_contain_text("Compte désactivé")
    paul_card = page.locator(".console-chains > li").filter(has_text="Paul Auditeur")
    expect(paul_card).to_contain_text("désactivé")
    # His dashboard's next poll sends him to the sign-in form (a reload raced with it).
    expect(paul).to_have_url(re.compile(r"/connexion"))
    expect(paul.get_by_role("heading", level=1)).to_have_text("Connexion à la console")
    page.get_by_role("button", name="Réactiver le compte de Paul Auditeur").click()
    expect(page.get_by_role("status")).to_contain_text("Compte réactivé")

    page.get_by_label("Rôle de Hugo Bernard").select_option("auditor")
    page.locator("form[action$='/Hugo%20Bernard/role'] button").click()
    expect(page.get_by_role("status")).to_contain_text("Rôle changé")

    page.get_by_label("Nouveau mot de passe de Paul Auditeur").fill("court")
    page.locator("form[action$='/Paul%20Auditeur/mot-de-passe'] button").click()
    expect(page.get_by_role("alert")).to_contain_text("12")
    check_page(page, "administration-erreur", output_dir)
    page.get_by_label("Nouveau mot de passe de Paul Auditeur").fill("un-mot-de-passe-neuf")
    page.locator("form[action$='/Paul%20Auditeur/mot-de-passe'] button").click()
    expect(page.get_by_role("status")).to_contain_text("Mot de passe remplacé")

    assert page.request.get(
        f"{live.url}/api/v1/crises", headers={"Authorization": f"Bearer {api_token}"}
    ).ok
    page.get_by_role("button", name="Révoquer le jeton d'API de Robot SIG").click()
    expect(page.get_by_role("status")).to_contain_text("Jeton d'API révoqué")
    revoked = page.request.get(
        f"{live.url}/api/v1/crises", headers={"Authorization": f"Bearer {api_token}"}
    )
    assert revoked.status == 401

    page.get_by_label("Nom", exact=True).fill("Nadia Nouvelle")
    page.get_by_label("Rôle", exact=True).select_option("comm_cell")
    page.get_by_label("Mot de passe de console").fill(PASSWORD)
    page.get_by_role("button", name="Ajouter l'utilisateur").click()
    expect(page.get_by_role("status")).to_contain_text("Utilisateur « Nadia Nouvelle » créé")

    kinds = _system_kinds(live)
    for kind in (
        "UnlockAccount",
        "DeactivateUser",
        "ReactivateUser",
        "ChangeRole",
        "SetPassword",
        "RevokeApiToken",
        "AddUser",
    ):
        assert any(kind in k for k in kinds), (kind, kinds)


def test_no_other_role_reaches_the_administration(live: LiveService, browser: Browser) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Claire Martin")
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)
    answer = page.goto(f"{live.url}/administration")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("alert")).to_contain_text("réservée à l'administrateur")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    refused = page.request.post(
        f"{live.url}/administration/utilisateurs/Claire%20Martin/role",
        form={"csrf_token": token, "role": "admin"},
    )
    assert refused.status == 403
    with live.service.bus.unit_of_work() as uow:
        claire = uow.users.by_name("Claire Martin")
        assert claire is not None and claire.role == "duty_officer"
