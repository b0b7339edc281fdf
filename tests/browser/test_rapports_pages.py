"""Les rapports in the browser, read by the auditor: the events with their verdicts, a timing
report with its timeline and downloads, the journal check with each chain's head hash."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from crisis.domain.commands import DeclareCellOperational
from tests.browser.conftest import DESK, PHONE, LiveService, check_page, new_page, sign_in
from tests.integration.delivery.conftest import OFFICER, open_active


def test_the_auditor_reviews_an_exercise(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    crisis_id = open_active(live.service, exercise=True)
    live.service.bus.handle(DeclareCellOperational(crisis_id=crisis_id), actor=OFFICER)
    page = new_page(browser, DESK)
    sign_in(page, live.url, "Paul Auditeur")
    page.goto(f"{live.url}/rapports")
    page.get_by_label("Réel ou exercice").select_option("exercice")
    page.get_by_role("button", name="Filtrer").click()
    event = page.get_by_role("region", name="Crue de la Seine")
    expect(event).to_contain_text("EXERCICE")
    expect(event).to_contain_text("tenu")
    check_page(page, "rapports", output_dir)

    # A period that ends before it starts: said beside the field.
    page.get_by_label("Signalés à partir du").fill("2026-03-10")
    page.get_by_label("Jusqu'au (inclus)").fill("2026-03-01")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#erreur-au")).to_contain_text("précède son début")
    check_page(page, "rapports-erreur", output_dir)

    page.goto(f"{live.url}/rapports")
    page.get_by_role("link", name="Crue de la Seine").click()
    expect(
        page.get_by_role("heading", name="Rapport de chronométrage — Crue de la Seine")
    ).to_be_visible()
    expect(page.get_by_role("table", name="Verdict par engagement")).to_contain_text("tenu")
    timeline = page.get_by_role("img", name="Chronologie")
    expect(timeline).to_be_visible()
    assert page.evaluate("document.querySelector('.console-timeline img').naturalWidth") > 0
    check_page(page, "rapport", output_dir)
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as csv:
        page.get_by_role("link", name="CSV").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    assert "cell" in Path(csv.value.path()).read_text(encoding="utf-8")
    # The auditor reads: no form on these pages but signing out.
    expect(page.locator("main form")).to_have_count(0)

    page.goto(f"{live.url}/rapports/journal")
    expect(page.get_by_role("status")).to_contain_text(
        "Toutes les chaînes d'empreintes sont intactes"
    )
    with live.service.bus.unit_of_work() as uow:
        seq = uow.journal.head_seq(crisis_id)
        head = uow.journal.entries(crisis_id, after_seq=seq - 1)[0].hash
    row = page.get_by_role("listitem").filter(has_text="Crue de la Seine")
    expect(row).to_contain_text(head)
    expect(row).to_contain_text("intacte")
    page.set_viewport_size(PHONE)
    check_page(page, "rapports-journal", output_dir)

    page.goto(f"{live.url}/rapports/inconnu")
    expect(page.get_by_role("heading", name="Introuvable")).to_be_visible()


def test_the_auditor_reads_the_indicators_of_the_year(
    live: LiveService, browser: Browser, output_dir: Path
) -> None:
    crisis_id = open_active(live.service, exercise=False)
    live.service.bus.handle(DeclareCellOperational(crisis_id=crisis_id), actor=OFFICER)
    page = new_page(browser, DESK)
    sign_in(page, live.url, "Paul Auditeur")
    page.goto(f"{live.url}/rapports")
    page.get_by_role("link", name="Indicateurs Qual-e-Pref de l'année").click()
    expect(page.get_by_role("heading", name="Indicateurs Qual-e-Pref — module 7")).to_be_visible()
    figures = page.get_by_role("table", name="Délais mesurés, objectif de 60 minutes")
    expect(figures.get_by_role("row").filter(has_text="Cellule opérationnelle")).to_contain_text(
        "100 %"
    )
    for chart in page.locator(".console-timeline img").all():
        expect(chart).to_be_visible()
        assert chart.evaluate("image => image.naturalWidth") > 0
    check_page(page, "indicateurs", output_dir)
    with page.expect_download() as workbook:
        page.get_by_role("link", name="Excel").click()
    assert workbook.value.suggested_filename == "indicateurs.xlsx"
    page.set_viewport_size(PHONE)
    check_page(page, "indicateurs", output_dir)
