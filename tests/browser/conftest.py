"""The real service on loopback (an ephemeral port) with the provider fakes, and Debian's chromium.

Playwright drives /usr/bin/chromium (`executable_path`): no browser is ever downloaded. Every
page a test visits is checked with axe-core and photographed at 360 and 1280 px, under
`tests/output/console/` (git-ignored; each run replaces the pictures it takes).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.domain.commands import AddUser
from crisis.domain.oncall import CellRole, ImportRoster, ShiftInput
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from crisis.store.engine import make_engine
from crisis.store.migrate import upgrade
from tests.integration.delivery.conftest import Fakes, add_people, delivery_config
from tests.integration.delivery.conftest import fakes as fakes  # the fixture, re-exported

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
OUTPUT = Path(__file__).resolve().parents[1] / "output" / "console"
PASSWORD = "mot-de-passe-du-test"
PHONE = ViewportSize(width=390, height=844)
NARROW = ViewportSize(width=360, height=740)  # the narrowest phone the console supports
DESK = ViewportSize(width=1280, height=900)
USERS = {
    "Claire Martin": "duty_officer",
    "Hugo Bernard": "comm_cell",
    "Préfète Durand": "prefect",
    "Paul Auditeur": "auditor",
}

# The service, the fakes and Playwright's client share this process's interpreter, and the
# suite runs two such processes on two cores: a page can take longer than Playwright's default
# 5 s to settle while the other worker is busy. A generous wait is still a wait for an
# assertion that must come true; it does not make a wrong page pass.
expect.set_options(timeout=15_000)

if not CHROMIUM.exists():
    pytest.skip(
        "chromium absent : apt-get install -y chromium (scripts/test l'installe)",
        allow_module_level=True,
    )


class LogRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class LiveService:
    url: str
    service: Service
    fakes: Fakes
    logs: LogRecorder
    visited: list[str] = field(default_factory=list)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def live(fakes: Fakes, tmp_path: Path) -> Iterator[LiveService]:
    settings = Settings(
        data_dir=tmp_path,
        prefecture_name="Préfecture de l'Essonne",
        communes=["Corbeil-Essonnes", "Évry-Courcouronnes", "Étampes", "Massy"],
        signin_failure_delay_seconds=0.2,
        telegram_bot_username="prefecture91_bot",
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    upgrade(engine)
    service = bootstrap(
        settings=settings,
        engine=engine,
        delivery=delivery_config(fakes),
        scheduler_mode=SchedulerMode.RUN,
        run_dispatcher=True,
    )
    for name, role in USERS.items():
        service.bus.handle(AddUser(name=name, role=role, password=PASSWORD), actor=SYSTEM_ACTOR)
    add_people(service)
    start = service.clock.now() - timedelta(hours=2)
    end = start + timedelta(hours=12)
    roster = (
        ShiftInput("Chloé Chef", CellRole.CHEF_DE_CELLULE, start, end, telegram_chat_id="501"),
        ShiftInput("Rémi Rédac", CellRole.REDACTEUR, start, end, email="remi@prefecture.gouv.fr"),
        ShiftInput(
            "Sarah Réseaux", CellRole.CHARGE_RESEAUX_SOCIAUX, start, end, mobile="0612345678"
        ),
    )
    service.bus.handle(ImportRoster(shifts=roster), actor=SYSTEM_ACTOR)
    sock = _free_socket()
    config = uvicorn.Config(create_app(service), log_level="info", access_log=True)
    # After uvicorn's own logging set-up, which replaces the root logger's handlers.
    recorder = LogRecorder()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(recorder)
    root.setLevel(logging.DEBUG)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    port = sock.getsockname()[1]
    try:
        yield LiveService(f"http://127.0.0.1:{port}", service, fakes, recorder)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        root.removeHandler(recorder)
        root.setLevel(previous_level)
        service.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Not for the whole session: Playwright's sync API keeps an event loop running in this
    # thread, where the other tests' `asyncio.run` could not start one.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
            # The browser's own language (date fields' order), which the context's `locale`
            # does not set: the one a préfecture's browsers have.
            env={**os.environ, "LANGUAGE": "fr", "LANG": "fr_FR.UTF-8"},
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    # Each test process (two under xdist) comes here: the folder is shared, never emptied
    # (one process would delete what the other just took); a screenshot replaces its
    # previous version.
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


def new_page(browser: Browser, viewport: ViewportSize) -> Page:
    context = browser.new_context(viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    # A refused sign-in answers 401 with its page: only sub-resources must all load.
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400
            and response.request.resource_type != "document"
            and not response.request.headers.get("hx-request")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    setattr(page, "console_problems", problems)  # noqa: B010
    return page


def console_problems(page: Page) -> list[str]:
    problems: list[str] = getattr(page, "console_problems")  # noqa: B009
    return problems


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations (WCAG 2.1 A and AA rules)."""
    # Evaluated through the devtools protocol, which the page's CSP does not govern.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_page(page: Page, name: str, output_dir: Path) -> None:
    """axe-core at 360 and 1280 px, a screenshot at each, no CSP or script error."""
    original = page.viewport_size
    for label, viewport in (("360", NARROW), ("1280", DESK)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(150)
        violations = axe_violations(page)
        assert not violations, f"{name} ({label} px) : {json.dumps(violations, indent=1)}"
        page.screenshot(path=str(output_dir / f"{name}-{label}.png"), full_page=True)
    if original is not None:
        page.set_viewport_size(original)
    assert not console_problems(page), console_problems(page)


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Nom d'utilisateur", exact=True).fill(name)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
