"""Formula injection: a title, a commune or a name that a spreadsheet would run is written
inert in every CSV and XLSX the service produces (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.contacts.csv_export import contacts_csv
from crisis.domain.commands import CloseCrisis, CodDecision, OpenCrisis
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.retex import CorrectiveActionInput, RecordRetex
from crisis.domain.vocabulary import CrisisKind
from crisis.reporting.indicators_render import IndicatorsFormat, render_indicators
from crisis.reporting.indicators_service import indicators_view
from crisis.reporting.render import ReportFormat, render
from crisis.reporting.service import crisis_report
from crisis.services.context import Actor

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u1")
PREFECT = Actor(name="préfète", role="prefect", user_id="u2")
TITLE = '=HYPERLINK("http://x","y")'
COMMUNE = "+cmd|' /C calc'!A0"
NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
ACTION = "-2+3+cmd|' /C calc'!A0"
OWNER = "=1+1"


def cells_of_csv(data: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
    return [cell for row in rows for cell in row]


def assert_inert(cells: list[str], *dangerous: str) -> None:
    for text in dangerous:
        assert text not in cells, text  # never as a cell of its own…
        assert any(text in cell for cell in cells), text  # …but there, inert
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]


def test_every_spreadsheet_file_writes_dangerous_texts_inert(
    service: Service, clock: ManualClock
) -> None:
    start = clock.now()
    crisis_id = service.bus.handle(
        OpenCrisis(
            title=TITLE,
            kind=CrisisKind.INONDATION,
            exercise=False,
            communes=(COMMUNE,),
            activation=CodDecision(decided_by="préfète", synergi_ref="SYN-1"),
        ),
        actor=OFFICER,
    )
    clock.advance(timedelta(minutes=5))
    service.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="décrue"), actor=PREFECT)
    service.bus.handle(
        RecordRetex(
            crisis_id=crisis_id,
            worked="",
            did_not_work="",
            actions=(
                CorrectiveActionInput(
                    description=ACTION, owner=OWNER, due_date=clock.now().date() + timedelta(30)
                ),
            ),
        ),
        actor=OFFICER,
    )
    service.bus.handle(
        CreateContact(contact=ContactInput(name=NAME, category="elu", email="m@ville.fr")),
        actor=OFFICER,
    )
    with service.bus.reading() as uow:
        pack = indicators_view(uow, first=start.date(), last=clock.now().date(), now=clock.now())
        report = crisis_report(uow, crisis_id, now=clock.now())
        contacts = uow.contacts.find()

    assert_inert(cells_of_csv(render_indicators(pack, IndicatorsFormat.CSV)), TITLE, COMMUNE)
    assert_inert(cells_of_csv(render(report, ReportFormat.CSV)), TITLE, COMMUNE)
    assert_inert(cells_of_csv(contacts_csv(contacts)), NAME)

    book = openpyxl.load_workbook(io.BytesIO(render_indicators(pack, IndicatorsFormat.XLSX)))
    found = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value == TITLE
    ]
    assert found  # the title is there, as it was typed…
    assert {cell.data_type for cell in found} == {"s"}  # …and as a string, not a formula
    texts = {
        cell.value: cell.data_type
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    # The RETEX action and its owner as typed, in string cells.
    assert (texts.get(ACTION), texts.get(OWNER)) == ("s", "s"), texts
    formulas = [
        cell.coordinate
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
