"""Les exercices in the browser: a scenario refused (line and field of each error), then one
uploaded and kept, played now until its report opens and found in the history with its
verdict, then removed; the programme kept, and the auditor refused."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, FilePayload, expect

from drills.model import bundled_scenarios
from tests.browser.conftest import DESK, PHONE, LiveService, check_page, new_page, sign_in

BROKEN = b"title: Essai\nkind: inondation\nobjectives: []\nduree: 2h\n"
SEVESO = bundled_scenarios()["accident-seveso"].read_bytes()
UPLOADED = SEVESO.replace(b'title: "Exercice', b'title: "Essai de Grigny')


def _yaml(content: bytes, name: str = "essai.yaml") -> FilePayload:
    return {"name": name, "mimeType": "application/yaml", "buffer": content}


def test_the_duty_officer_plays_a_drill_and_keeps_the_programme(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    page = new_page(browser, DESK)
    sign_in(page, live.url, "Claire Martin")
    page.goto(f"{live.url}/exercices")
    expect(page.get_by_role("heading", name="Scénarios")).to_be_visible()

    page.get_by_label("Fichier de scénario (YAML)").set_input_files(_yaml(BROKEN))
    page.get_by_role("button", name="Déposer le scénario").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("essai.yaml, ligne 3, champ objectives : ne doit pas être vide")
    expect(refusal).to_contain_text("ligne 4, champ duree : champ inconnu")
    check_page(page, "exercices-scenario-erreurs", output_dir)

    # A valid file: kept, listed with its objectives, and played now.
    upload = page.get_by_label("Fichier de scénario (YAML)")
    upload.set_input_files(_yaml(UPLOADED, "grigny-2027.yaml"))
    page.get_by_role("button", name="Déposer le scénario").click()
    expect(page.get_by_role("status").first).to_contain_text("Scénario déposé")
    kept = page.locator("article").filter(has_text="Essai de Grigny")
    expect(kept).to_contain_text("déposé dans la console")
    expect(kept).to_contain_text("« grigny-2027 »")
    kept.get_by_role("button", name="Jouer maintenant").click()
    expect(page.get_by_role("heading", name="Rapport de chronométrage")).to_be_visible(
        timeout=120_000
    )
    expect(page.get_by_role("table", name="Verdict par engagement")).to_be_visible()
    check_page(page, "exercice-rapport", output_dir)
    page.goto(f"{live.url}/exercices#historique")
    history = page.get_by_role("table", name="Exercices joués")
    expect(history).to_contain_text("À la demande : Essai de Grigny")
    expect(history).to_contain_text("lancé par Claire Martin")
    expect(history.get_by_role("link", name="Voir le rapport")).to_have_count(1)
    check_page(page, "exercices-historique", output_dir)

    # A bad recurrence: said beside its field, nothing added.
    page.get_by_label("Nom de l'entrée").fill("Exercice mensuel crue")
    page.get_by_label("Récurrence (RRULE iCalendar)").fill("TOUS LES MARDIS")
    page.get_by_role("button", name="Ajouter au programme").click()
    expect(page.locator("#erreur-rrule")).to_be_visible()
    page.get_by_label("Récurrence (RRULE iCalendar)").fill(
        "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0"
    )
    page.get_by_role("button", name="Ajouter au programme").click()
    expect(page.get_by_role("status").first).to_contain_text("Entrée ajoutée au programme.")
    entry = page.locator(".console-chains > li").filter(has_text="Exercice mensuel crue")
    expect(entry.locator("ul li")).to_have_count(3)
    expect(entry).to_contain_text("mardi")
    with page.expect_download() as ics:
        page.get_by_role("link", name="Télécharger le calendrier (iCalendar)").click()
    assert b"BEGIN:VCALENDAR" in Path(ics.value.path()).read_bytes()
    check_page(page, "exercices", output_dir)

    page.get_by_role("button", name="Retirer du programme : Exercice mensuel crue").click()
    expect(page.get_by_role("status").first).to_contain_text("Entrée retirée du programme.")
    page.get_by_role("button", name="Retirer le scénario : Essai de Grigny").click()
    expect(page.get_by_role("status").first).to_contain_text("Scénario retiré.")
    expect(page.locator("article").filter(has_text="Essai de Grigny")).to_have_count(0)


def test_the_auditor_may_not_play_a_drill(live: LiveService, browser: Browser) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, live.url, "Paul Auditeur")
    page.goto(f"{live.url}/exercices")
    expect(page.get_by_role("heading", name="Programme d'exercices")).to_be_visible()
    expect(page.get_by_role("button", name="Jouer maintenant")).to_have_count(0)
    expect(page.get_by_role("button", name="Ajouter au programme")).to_have_count(0)
    expect(page.get_by_role("button", name="Déposer le scénario")).to_have_count(0)
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    answer = page.request.post(
        f"{live.url}/exercices/jouer", form={"csrf_token": token, "scenario": "crue-seine"}
    )
    assert answer.status == 403
