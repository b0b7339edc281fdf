"""The approvers are called, in the browser (390 and 1280 px, axe-core): the administrator sets
the order, a submitted message pages the first approver (the fakes receive the link), the link
opens the message after sign-in, with no decision the second approver is paged on time (the
service's clock moved by hand), the duty officer sees who was called on the event page, and
the préfète's decision stops the calls; « Je m'en occupe » without a decision only delays the
next call."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, expect

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.domain.approval_calls import ApproverInput, SetApprovers
from crisis.domain.commands import AddUser, CodDecision, OpenCrisis
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.oncall import CheckCallouts
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.settings import Settings
from crisis.store.engine import make_engine
from crisis.store.migrate import upgrade
from tests.browser.conftest import (
    DESK,
    PASSWORD,
    PHONE,
    _free_socket,
    check_page,
    new_page,
    sign_in,
)
from tests.integration.delivery.conftest import Fakes, add_people, delivery_config
from tests.integration.delivery.test_approver_calls import submit_for_approval

USERS = {
    "Alice Admin": "admin",
    "Claire Martin": "duty_officer",
    "Hugo Bernard": "comm_cell",
    "Préfète Durand": "prefect",
    "Marc Dircab": "prefect",
}


class Live:
    def __init__(self, url: str, service: Service, fakes: Fakes, clock: ManualClock) -> None:
        self.url, self.service, self.fakes, self.clock = url, service, fakes, clock
        self.user_ids: dict[str, str] = {}


@pytest.fixture
def live(fakes: Fakes, tmp_path: Path) -> Iterator[Live]:
    clock = ManualClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))  # 3 h 00 in Paris
    engine = make_engine(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    upgrade(engine)
    service = bootstrap(
        settings=Settings(
            data_dir=tmp_path,
            prefecture_name="Préfecture de l'Essonne",
            signin_failure_delay_seconds=0.2,
        ),
        clock=clock,
        engine=engine,
        delivery=delivery_config(fakes),
        # The scheduler's job posts CheckCallouts; the test posts it after moving the clock.
        scheduler_mode=SchedulerMode.NONE,
        run_dispatcher=True,
    )
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    live = Live(f"http://127.0.0.1:{sock.getsockname()[1]}", service, fakes, clock)
    for name, role in USERS.items():
        result = service.bus.handle(
            AddUser(name=name, role=role, password=PASSWORD), actor=SYSTEM_ACTOR
        )
        live.user_ids[name] = result["user"].id
    add_people(service)  # the élus and the media the message goes to
    for contact in (
        ContactInput(
            name="Préfète Durand",
            category="cellule",
            mobile="06 10 00 00 01",
            email="prefete@prefecture.gouv.fr",
        ),
        ContactInput(name="Marc Dircab", category="cellule", telegram_chat_id="7001"),
    ):
        service.bus.handle(CreateContact(contact=contact), actor=SYSTEM_ACTOR)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        service.close()


def _until(condition: Callable[[], object], seconds: float = 20) -> None:
    """The dispatcher's thread delivers within moments; wait for it, not for time to pass."""
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "rien n'est arrivé chez les faux fournisseurs"
        time.sleep(0.05)


def _dircab_paged_after(live: Live, delay: timedelta) -> None:
    """Marc Dircab is paged once the clock has moved `delay`, not a second before."""
    live.clock.advance(delay - timedelta(seconds=1))
    live.service.bus.handle(CheckCallouts(), actor=SYSTEM_ACTOR)
    time.sleep(0.3)  # let the dispatcher look: nothing must have been sent
    assert "7001" not in live.fakes.telegram.messages
    live.clock.advance(timedelta(seconds=1))
    live.service.bus.handle(CheckCallouts(), actor=SYSTEM_ACTOR)
    _until(lambda: "7001" in live.fakes.telegram.messages)


def _submit(live: Live) -> tuple[str, str]:
    bus = live.service.bus
    crisis_id: str = bus.handle(
        OpenCrisis(
            title="Crue de l'Essonne",
            kind=CrisisKind.INONDATION,
            exercise=False,
            communes=("Corbeil-Essonnes",),
            activation=CodDecision(decided_by="Préfète Durand", synergi_ref="SYN-91-7"),
        ),
        actor=Actor("Claire Martin", "duty_officer", live.user_ids["Claire Martin"]),
    )
    live.clock.advance(timedelta(minutes=30))  # 3 h 30: the élus' deadline is at 4 h 00
    writer = Actor("Hugo Bernard", "comm_cell", live.user_ids["Hugo Bernard"])
    draft_id = submit_for_approval(live.service, crisis_id, writer)
    return crisis_id, draft_id


def test_the_approvers_are_called_in_order_until_one_decides(
    live: Live, browser: Browser, output_dir: Path
) -> None:
    base = live.url
    # The administrator sets the order on the administration page.
    admin = new_page(browser, DESK)
    sign_in(admin, base, "Alice Admin")
    admin.goto(f"{base}/administration#valideurs")
    expect(admin.get_by_text("Aucun valideur n'est appelé")).to_be_visible()
    admin.locator("#champ-valideur_1").select_option("Préfète Durand")
    admin.locator("#champ-contact_1").select_option(label="Préfète Durand")
    admin.locator("#champ-valideur_2").select_option("Marc Dircab")
    admin.locator("#champ-contact_2").select_option(label="Marc Dircab")
    admin.get_by_role("button", name="Enregistrer l'ordre d'appel").click()
    expect(admin.get_by_role("status")).to_contain_text("Ordre d'appel des valideurs enregistré")
    order = admin.locator("#valideurs + p + ol, #valideurs ~ ol").first
    expect(order).to_contain_text("Préfète Durand — joint(e) comme Préfète Durand : SMS")
    admin.locator("#valideurs").scroll_into_view_if_needed()
    check_page(admin, "administration-valideurs", output_dir)

    # A message is submitted: the first approver is paged, the link in her SMS and mail.
    crisis_id, _ = _submit(live)
    fakes = live.fakes
    _until(lambda: fakes.sms.messages and fakes.smtp.mails)
    (sms,) = fakes.sms.messages
    assert sms.to == "+33610000001" and "message à valider" in sms.text
    found = re.search(r"https?://[^/\s]+(/ack/[A-Za-z0-9_\-]+)", sms.text)
    assert found is not None, sms.text
    assert "7001" not in fakes.telegram.messages

    # On her phone the link asks for sign-in, then opens the message (nothing before).
    prefect = new_page(browser, PHONE)
    prefect.goto(f"{base}{found.group(1)}")
    expect(prefect).to_have_url(re.compile(r"/connexion\?suite="))
    prefect.get_by_label("Nom d'utilisateur", exact=True).fill("Préfète Durand")
    prefect.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    prefect.get_by_role("button", name="Se connecter").click()
    expect(prefect).to_have_url(re.compile(r"/validation/appel/"))
    expect(prefect.get_by_role("heading", level=1)).to_have_text("Message à valider")
    expect(prefect.locator("#appel-valideur")).to_contain_text("Vous avez été appelé(e)")
    expect(prefect.locator("#appel-valideur")).to_contain_text("prochain : Marc Dircab à")
    expect(prefect.get_by_role("button", name="Valider et envoyer")).to_be_visible()
    check_page(prefect, "validation-appel", output_dir)

    # No decision: at the next due instant (3 h 40, 10 minutes) the second approver is paged.
    _dircab_paged_after(live, timedelta(minutes=10))
    (dm,) = fakes.telegram.messages["7001"]
    assert "attend votre validation" in dm.text and "/ack/" in dm.text

    # The duty officer sees who was called, by what, when, and whether they answered.
    officer = new_page(browser, PHONE)
    sign_in(officer, base, "Claire Martin")
    officer.goto(f"{base}/evenements/{crisis_id}#valideurs")
    section = officer.locator("#valideurs")
    expect(section).to_contain_text("appels en cours")
    expect(section).to_contain_text("Préfète Durand")
    expect(section).to_contain_text("SMS, courriel")
    expect(section).to_contain_text("Marc Dircab")
    expect(section).to_contain_text("Telegram (message personnel)")
    expect(section).to_contain_text("dernier valideur appelé au plus tard à 3\u00a0h\u00a045")
    section.scroll_into_view_if_needed()
    check_page(officer, "evenement-valideurs", output_dir)

    # The préfète decides from her phone: the calls stop.
    prefect.get_by_role("button", name="Valider et envoyer").click()
    if "/verification" in prefect.url:  # her sign-in is more than 5 minutes old
        prefect.get_by_label("Votre mot de passe").fill(PASSWORD)
        prefect.get_by_role("button", name="Vérifier avec mon mot de passe").click()
        prefect.get_by_role("button", name="Valider et envoyer").click()
    expect(prefect.get_by_role("status")).to_contain_text("validé et mis en diffusion")
    officer.reload()
    expect(officer.locator("#valideurs")).to_contain_text("message validé (Préfète Durand)")


def test_taken_on_without_a_decision_the_next_approver_is_called_on_time(
    live: Live, browser: Browser, output_dir: Path
) -> None:
    """« Je m'en occupe » suspends the calls for the escalation's delay, as PagerDuty's
    acknowledgement timeout; the préfète and the duty officer see until when; no decision by
    then, Marc Dircab is paged (the service's clock moved by hand)."""
    base = live.url
    live.service.bus.handle(
        SetApprovers(
            approvers=(
                ApproverInput("Préfète Durand", "prefete@prefecture.gouv.fr"),
                ApproverInput("Marc Dircab", "7001"),
            )
        ),
        actor=Actor("Alice Admin", "admin", live.user_ids["Alice Admin"]),
    )
    crisis_id, _ = _submit(live)  # 3 h 30: Marc Dircab would be called at 3 h 40
    fakes = live.fakes
    _until(lambda: fakes.sms.messages)
    found = re.search(r"https?://[^/\s]+(/ack/[A-Za-z0-9_\-]+)", fakes.sms.messages[0].text)
    assert found is not None
    live.clock.advance(timedelta(minutes=3))

    prefect = new_page(browser, PHONE)
    prefect.goto(f"{base}{found.group(1)}")
    prefect.get_by_label("Nom d'utilisateur", exact=True).fill("Préfète Durand")
    prefect.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    prefect.get_by_role("button", name="Se connecter").click()
    expect(prefect).to_have_url(re.compile(r"/validation/appel/"))
    prefect.get_by_role("button", name="Je m'en occupe (suspendre les appels)").focus()
    prefect.keyboard.press("Enter")
    expect(prefect.get_by_role("status")).to_contain_text("les appels sont suspendus")
    called = prefect.locator("#appel-valideur")
    expect(called).to_contain_text(
        "Pris en charge par vous à 3\u00a0h\u00a033 ; sans décision d'ici 3\u00a0h\u00a043, "
        "l'appel reprend (prochain : Marc Dircab)"
    )
    expect(prefect.get_by_role("button", name=re.compile("Je m'en occupe"))).to_have_count(0)
    expect(prefect.get_by_role("button", name="Valider et envoyer")).to_be_visible()
    check_page(prefect, "validation-appel-pris-en-charge", output_dir)

    officer = new_page(browser, DESK)
    sign_in(officer, base, "Claire Martin")
    officer.goto(f"{base}/evenements/{crisis_id}#valideurs")
    section = officer.locator("#valideurs")
    expect(section).to_contain_text("pris en charge, en attente de décision")
    expect(section).to_contain_text(
        "Pris en charge par Préfète Durand à 3\u00a0h\u00a033 ; sans décision d'ici "
        "3\u00a0h\u00a043, l'appel reprend avec Marc Dircab"
    )
    section.scroll_into_view_if_needed()
    check_page(officer, "evenement-valideurs-pris-en-charge", output_dir)

    # 3 h 40, the step's first due instant, passes: nobody is called; 3 h 43: Marc Dircab.
    _dircab_paged_after(live, timedelta(minutes=10))
    officer.reload()
    expect(section).to_contain_text("appels en cours")
    expect(section).to_contain_text("à 3\u00a0h\u00a033, sans décision : appels repris")
    expect(officer.locator("#journal")).to_contain_text(
        "Pris en charge sans décision : appels repris"
    )
