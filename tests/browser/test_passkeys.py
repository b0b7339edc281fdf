"""Passkeys in the browser, with Chromium's virtual authenticator (the WebAuthn domain of the
DevTools protocol): the préfète registers one, signs in with it alone, and approves a message
with a fresh verification; a stale one is asked again and nothing is approved meanwhile."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from crisis.domain.drafts import DraftState
from crisis.domain.vocabulary import Audience
from crisis.services.context import Actor
from crisis.store.journal import SYSTEM_STREAM
from tests.browser.conftest import DESK, PHONE, LiveService, check_page, new_page, sign_in
from tests.integration.web.test_approval_pages import _submitted

PREFECT = "Préfète Durand"


def _authenticator(page: Page) -> None:
    """A platform authenticator that verifies its user (as a phone's unlock does)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def _journal(live: LiveService) -> list[tuple[str, object]]:
    with live.service.bus.reading() as uow:
        return [
            (e.kind, e.payload.get("method"))
            for e in uow.journal.entries(SYSTEM_STREAM, after_seq=0, limit=5000)
        ]


def _draft_state(live: LiveService, draft_id: str) -> DraftState:
    with live.service.bus.reading() as uow:
        draft = uow.drafts.get(draft_id)
    assert draft is not None
    return draft.state


def test_register_sign_in_and_approve_with_a_passkey(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    settings = live.service.settings
    settings.approval_audiences = [Audience.ELUS]
    settings.step_up_approve_message = "passkey"
    # WebAuthn needs a host name: localhost (a secure context over plain HTTP), not an IP.
    base = live.url.replace("127.0.0.1", "localhost")
    page = new_page(browser, PHONE)
    _authenticator(page)

    sign_in(page, base, PREFECT)
    page.goto(f"{base}/compte/cles-d-acces")
    expect(page.get_by_text("Vous n'avez encore aucune clé d'accès.")).to_be_visible()
    page.get_by_label("Nom de la clé").fill("Téléphone de service")
    page.get_by_role("button", name="Enregistrer une clé d'accès").click()
    expect(page.get_by_role("status")).to_contain_text("Clé d'accès enregistrée")
    expect(page.get_by_role("heading", name="Téléphone de service")).to_be_visible()
    check_page(page, "cles-d-acces", output_dir)

    # Signed out, then in again with the passkey alone.
    page.set_viewport_size(DESK)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()
    check_page(page, "connexion-cle-d-acces", output_dir)
    page.get_by_role("button", name="Connexion par clé d'accès").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    assert ("auth.SignedIn", "passkey") in _journal(live)
    assert ("auth.PasskeyAdded", None) in _journal(live)

    # A message waits; the passkey sign-in is a fresh verification: approved at once.
    crisis_id, first = _submitted(live.service, Actor("Hugo Bernard", "comm_cell", "u-hugo"))
    page.goto(f"{base}/validation")
    page.get_by_role("button", name="Valider et envoyer").first.click()
    expect(page.get_by_role("status")).to_contain_text("Message validé")
    assert _draft_state(live, first) is not DraftState.SUBMITTED

    # Ten minutes later (the session's verification moved back), the next one asks again.
    second = _submitted_again(live, crisis_id)
    session_id = next(c["value"] for c in page.context.cookies() if c["name"] == "crisis_session")
    with live.service.bus.unit_of_work() as uow:
        stale = uow.now - timedelta(minutes=10)
        uow.sessions.record_verification(session_id, method="passkey", now=stale)
        uow.commit()
    page.goto(f"{base}/validation")
    page.get_by_role("button", name="Valider et envoyer").first.click()
    expect(page.get_by_role("heading", name="Confirmez votre identité")).to_be_visible()
    assert _draft_state(live, second) is DraftState.SUBMITTED  # refused while stale
    check_page(page, "verification", output_dir)
    page.get_by_role("button", name="Vérifier avec ma clé d'accès").click()
    expect(page).to_have_url(f"{base}/validation")
    page.get_by_role("button", name="Valider et envoyer").first.click()
    expect(page.get_by_role("status")).to_contain_text("Message validé")
    assert _draft_state(live, second) is not DraftState.SUBMITTED
    assert ("auth.StepUpVerified", "passkey") in _journal(live)

    # Revoked, the passkey no longer signs in.
    page.goto(f"{base}/compte/cles-d-acces")
    page.get_by_role("button", name="Révoquer la clé d'accès « Téléphone de service »").click()
    expect(page.get_by_role("status")).to_contain_text("Clé d'accès révoquée")
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("button", name="Connexion par clé d'accès").click()
    expect(page.get_by_role("alert").filter(has_text="clé d'accès")).to_contain_text(
        "n'a pas permis de vous connecter"
    )
    assert ("auth.SignInFailed", "passkey") in _journal(live)


def _submitted_again(live: LiveService, crisis_id: str) -> str:
    from crisis.domain.commands import SendMessage

    held = live.service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Feu de forêt : évacuation du quartier des Pins."),),
            audiences=(Audience.ELUS,),
        ),
        actor=Actor("Hugo Bernard", "comm_cell", "u-hugo"),
    )
    draft_id: str = held.draft_id
    return draft_id
