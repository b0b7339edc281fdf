"""La relecture in the browser: the slider and the keyboard, the deep link, play, the
annotations, and the exported file opened with the network cut."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Request, Route, expect

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import PARIS, ManualClock
from crisis.domain.commands import AddUser
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from crisis.store.engine import make_engine
from crisis.store.migrate import upgrade
from tests.browser.conftest import (
    DESK,
    PASSWORD,
    PHONE,
    USERS,
    _free_socket,
    check_page,
    new_page,
    sign_in,
)
from tests.integration.delivery.conftest import add_people
from tests.integration.replay.night import EVENING, night, quiet_delivery


@dataclass
class Night:
    url: str
    service: Service
    crisis_id: str


@pytest.fixture
def evening(tmp_path: Path) -> Iterator[Night]:
    """The night of `tests.integration.replay.night`, served on loopback on a clock moved by
    hand (left three hours after the COD)."""
    clock = ManualClock(EVENING)
    engine = make_engine(f"sqlite:///{tmp_path / 'replay.sqlite3'}")
    upgrade(engine)
    service = bootstrap(
        settings=Settings(data_dir=tmp_path, prefecture_name="Préfecture de l'Essonne"),
        clock=clock,
        engine=engine,
        delivery=quiet_delivery(),
        scheduler_mode=SchedulerMode.NONE,
    )
    for name, role in USERS.items():
        service.bus.handle(AddUser(name=name, role=role, password=PASSWORD), actor=SYSTEM_ACTOR)
    add_people(service)
    crisis_id = night(service, clock)
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    try:
        yield Night(f"http://127.0.0.1:{sock.getsockname()[1]}", service, crisis_id)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        # Closing runs an event loop of its own: not in this thread, where Playwright's runs.
        closing = threading.Thread(target=service.close)
        closing.start()
        closing.join(30)


def _paris(minutes: int) -> str:
    return (EVENING + timedelta(minutes=minutes)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def _state(page: Page) -> str:
    return page.locator("#relecture-etat").inner_text()


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["390", "1280"])
def test_the_auditor_slides_through_the_night(
    evening: Night, browser: Browser, output_dir: Path, viewport: object
) -> None:
    page = new_page(browser, viewport)  # type: ignore[arg-type]
    sign_in(page, evening.url, "Paul Auditeur")
    base = f"{evening.url}/evenements/{evening.crisis_id}/rejouer"

    # The deep link: 19 h 42, the élus message waiting for the préfète, one page unanswered.
    page.goto(f"{base}?a=2026-11-29T19:42")
    state = page.locator("#relecture-etat")
    expect(state).to_contain_text("Relecture — état au dimanche 29 novembre 2026 à 19")
    expect(state).to_contain_text("attend la validation")
    expect(state).to_contain_text("depuis 7 min")
    expect(state).to_contain_text("sans réponse")
    expect(state).to_contain_text("accusé à 19")
    expect(page.locator("[data-clock='elus'] .console-clock__state")).to_have_text("en cours")
    width = int(page.viewport_size["width"]) if page.viewport_size else 0
    if width == 1280:
        check_page(page, "relecture", output_dir)
    page.screenshot(path=str(output_dir / f"relecture-{width}.png"), full_page=True)

    # The keyboard: the slider moves a minute per arrow; the state follows without a reload.
    slider = page.get_by_label("Instant relu (heure de Paris)")
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#relecture-instant")).to_contain_text(re.compile(r"19\sh\s45"))
    expect(page).to_have_url(f"{base}?a=2026-11-29T19:45")
    expect(state).to_contain_text("depuis 10 min")
    page.keyboard.press("PageUp")
    expect(page).to_have_url(f"{base}?a=2026-11-29T19:55")
    page.keyboard.press("PageDown")
    expect(page).to_have_url(f"{base}?a=2026-11-29T19:45")
    page.keyboard.press("End")
    expect(state).to_contain_text("clos")
    expect(page.locator("[data-clock='media'] .console-clock__state")).to_have_text("dépassée")
    page.keyboard.press("Home")
    expect(page.locator("[data-clock='cell'] .console-clock__state")).to_have_text("en cours")

    # Steps by entry and by minute are links, reached by the keyboard as well.
    page.goto(f"{base}?a=2026-11-29T19:42")
    page.get_by_role("link", name="Minute suivante").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}?a=2026-11-29T19:43")
    page.get_by_role("link", name="Entrée suivante").click()
    expect(state).to_contain_text("accusé à 19")
    expect(page.locator("#relecture-entrees [aria-current='step']")).to_have_count(1)

    # Play ×600: ten minutes of the night a second.
    page.goto(f"{base}?a=2026-11-29T19:42")
    page.get_by_role("button", name="Lecture ×600").click()
    expect(state).to_contain_text("Aucun message n'attend la validation", timeout=20_000)
    page.get_by_role("button", name="Pause").click()


def test_the_auditor_annotates_and_exports_the_night(
    evening: Night, browser: Browser, output_dir: Path, tmp_path: Path
) -> None:
    page = new_page(browser, DESK)
    sign_in(page, evening.url, "Paul Auditeur")
    base = f"{evening.url}/evenements/{evening.crisis_id}/rejouer"
    page.goto(f"{base}?a={_paris(12)}")
    page.get_by_label("Remarque à l'instant relu").fill(
        "Ici le préfet était en réunion de crise, injoignable"
    )
    page.get_by_role("button", name="Annoter cet instant").click()
    expect(page.get_by_role("status")).to_contain_text("Annotation enregistrée au journal.")
    notes = page.locator("#relecture-annotations")
    expect(notes).to_contain_text("injoignable")
    expect(notes).to_contain_text("à cet instant")
    check_page(page, "relecture-annotation", output_dir)
    page.goto(f"{evening.url}/evenements/{evening.crisis_id}/rapport.html")
    expect(page.locator("body")).to_contain_text("Annotations de la relecture")

    # The export, opened with every request refused: the same state at the same instant.
    page.goto(f"{base}?a={_paris(12)}")
    on_page = _state(page)
    answer = page.request.get(f"{base}/export.html")
    assert answer.ok
    exported = tmp_path / "relecture.html"
    exported.write_bytes(answer.body())
    offline = browser.new_context(viewport=DESK, locale="fr-FR", timezone_id="Europe/Paris")
    asked: list[str] = []

    def refuse(route: Route) -> None:
        """Every request refused, but for the file itself."""
        if route.request.url.split("#")[0] == exported.as_uri():
            route.continue_()
        else:
            route.abort()

    offline.route("**/*", refuse)
    reader = offline.new_page()
    reader.on("request", lambda r: asked.append(r.url) if isinstance(r, Request) else None)
    errors: list[str] = []
    reader.on("pageerror", lambda e: errors.append(str(e)))
    reader.goto(f"{exported.as_uri()}#a={_paris(12)}")
    expect(reader.locator("#relecture-etat")).to_contain_text("attend la validation")
    assert reader.locator("#relecture-etat").inner_text() == on_page
    with evening.service.bus.reading() as uow:
        head = uow.journal.head(evening.crisis_id)
    assert head is not None
    expect(reader.locator("#tete-de-chaine")).to_have_text(head[1])
    expect(reader.locator("body")).to_contain_text("intègre")
    expect(reader.locator("body")).to_contain_text("injoignable")
    # The slider of the file, by the keyboard.
    reader.get_by_label("Instant relu (heure de Paris)", exact=False).focus()
    reader.keyboard.press("End")
    expect(reader.locator("#relecture-etat")).to_contain_text("clos")
    reader.screenshot(path=str(output_dir / "relecture-export-1280.png"), full_page=True)
    assert [url for url in asked if url.split("#")[0] != exported.as_uri()] == []
    assert errors == []
    offline.close()
