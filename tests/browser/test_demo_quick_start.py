"""The quick start of the README, from a fresh data folder: `crisis demo` prints the users'
passwords; the communication cell signs in with the printed one, writes and submits a
message; the préfet approves it on a phone; it shows in the demonstration outbox.

Screenshots at 390 and 1280 px (`demo-*-390.png`, `demo-*-1280.png` under
`tests/output/console/`), the documentation's pictures of the quick start.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, bootstrap
from crisis.settings import Settings
from crisis.store.engine import make_engine
from tests.browser.conftest import DESK, PHONE, _free_socket, check_page, new_page
from tests.integration.ops.processes import crisis_env

PRINTED_USER = re.compile(r"^  (\S+) +(.+?) +mot de passe : (\S+)$", re.MULTILINE)


def crisis_demo(data_dir: Path) -> dict[str, str]:
    """`crisis demo` as a person runs it; the password printed for each role's label."""
    env = crisis_env("", data_dir)
    del env["CRISIS_DATABASE_URL"]
    done = subprocess.run(
        [sys.executable, "-m", "crisis", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return {
        label: f"{name} {password}" for name, label, password in PRINTED_USER.findall(done.stdout)
    }


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    printed = crisis_demo(tmp_path)
    settings = Settings(data_dir=tmp_path, prefecture_name="Préfecture de l'Essonne")
    engine = make_engine(f"sqlite:///{tmp_path / 'crisis.sqlite3'}")
    service = bootstrap(
        settings=settings, engine=engine, scheduler_mode=SchedulerMode.RUN, run_dispatcher=True
    )
    assert service.demonstration
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", printed
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        service.close()


def sign_in_with(page: Page, base: str, user: str) -> None:
    name, password = user.split(" ")
    page.goto(f"{base}/connexion")
    page.get_by_label("Nom d'utilisateur", exact=True).fill(name)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def photograph(page: Page, name: str, output_dir: Path) -> None:
    """The quick start's pictures, at a phone's width and a desk's: the screen a person sees."""
    original = page.viewport_size
    for width, viewport in (("390", PHONE), ("1280", DESK)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(150)
        page.screenshot(path=str(output_dir / f"demo-{name}-{width}.png"))
    if original is not None:
        page.set_viewport_size(original)


def test_the_quick_start_from_a_fresh_folder(
    demo_url: tuple[str, dict[str, str]], browser: Browser, output_dir: Path
) -> None:
    base, printed = demo_url
    assert set(printed) >= {"cellule de communication", "préfet ou délégué", "administrateur"}

    # The communication cell signs in with the printed password and opens the exercise.
    cell = new_page(browser, DESK)
    sign_in_with(cell, base, printed["cellule de communication"])
    expect(cell.locator(".console-demo-notice")).to_contain_text("DÉMONSTRATION")
    photograph(cell, "tableau", output_dir)
    cell.get_by_role("link", name="Démonstration — crue de l'Orge").click()
    cell.get_by_role("link", name="Rédiger un message").click()
    cell.get_by_label("Modèle de message").select_option("information_elus")
    cell.get_by_role("button", name="Choisir ce modèle").click()
    cell.get_by_label("Nature de l'événement, en minuscules").fill("crue de l'Orge")
    cell.get_by_label("Faits établis à cette heure").fill(
        "L'Orge déborde à Juvisy-sur-Orge. Aucune victime n'est signalée à cette heure."
    )
    cell.get_by_label("Mesures prises par les services").fill(
        "Le centre opérationnel départemental est activé. Les berges sont fermées."
    )
    cell.get_by_label("Numéro de la permanence").fill("01 69 91 91 91")
    expect(cell.locator('#apercu [data-variant="sms"]')).to_contain_text("EXERCICE")
    photograph(cell, "rediger", output_dir)
    cell.get_by_role("button", name="Soumettre au préfet").click()
    expect(cell.get_by_role("status")).to_contain_text("soumis à la validation du préfet")

    # The préfet signs in on a phone: the queue first; approving sends.
    prefect = new_page(browser, PHONE)
    sign_in_with(prefect, base, printed["préfet ou délégué"])
    expect(prefect).to_have_url(f"{base}/validation")
    photograph(prefect, "validation", output_dir)
    prefect.get_by_role("button", name="Valider et envoyer").click()
    expect(prefect.get_by_role("status")).to_contain_text("validé et mis en diffusion")

    # The demonstration outbox: the message as each élu and média « received » it.
    prefect.get_by_role("link", name="boîte d'envoi de démonstration").click()
    expect(prefect).to_have_url(f"{base}/demo/boite-d-envoi")
    # The dispatcher delivers within seconds, one recipient after another: the page is read
    # again until every one expected is there.
    expected = ("claire.martin@mairie-juvisy.example", "anne.lambert@prefecture.example")
    for _ in range(60):
        outbox = prefect.locator(".console-demo-outbox")
        shown = " ".join(outbox.all_inner_texts())
        if "L'Orge déborde à Juvisy-sur-Orge" in shown and all(a in shown for a in expected):
            break
        prefect.wait_for_timeout(500)
        prefect.reload()
    expect(prefect.locator(".console-demo-outbox")).to_contain_text(
        "claire.martin@mairie-juvisy.example"
    )
    expect(prefect.locator(".console-demo-outbox").first).to_contain_text("EXERCICE")
    # The préfète was called when the message was submitted: the call, with its link, is there.
    expect(prefect.locator(".console-demo-outbox")).to_contain_text(
        "anne.lambert@prefecture.example"
    )
    expect(prefect.locator(".console-demo-outbox")).to_contain_text("attend votre validation")
    check_page(prefect, "boite-d-envoi-demonstration", output_dir)
    photograph(prefect, "boite-d-envoi", output_dir)
