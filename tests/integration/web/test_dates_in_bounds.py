"""Days and instants typed far outside the service's era (year 1, year 9999) get a French 422
in the console, never a 500: the reports list's period, the indicators' period, a programme
entry's start. (A Paris midnight of year 1 has no UTC instant: the reports list used to fail
with an OverflowError in the store's query.)"""

from __future__ import annotations

import html

import pytest

from crisis.bootstrap import Service
from crisis.domain.era import OUT_OF_ERA
from tests.integration.web.conftest import new_client, sign_in

FAR = ("0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01")


def error_of(page: str, field: str) -> str:
    return html.unescape(page.split(f'id="erreur-{field}"')[1].split("</p>")[0])


@pytest.mark.parametrize("day", FAR)
@pytest.mark.parametrize("path", ["/rapports", "/indicateurs"])
def test_a_period_out_of_bounds_is_a_french_422(
    service: Service, people: dict[str, str], path: str, day: str
) -> None:
    client = new_client(service)
    sign_in(client, people["auditor"])
    for query, field in ((f"du={day}&au=2026-01-31", "du"), (f"du=2026-01-01&au={day}", "au")):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 422, (path, query)
        if day > "2026":
            assert OUT_OF_ERA in error_of(answer.text, field), (path, query)


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00", "9999-12-31T23:30"])
def test_a_programme_start_out_of_bounds_is_a_field_error(
    service: Service, people: dict[str, str], starts_at: str
) -> None:
    client = new_client(service)
    token = sign_in(client, people["duty_officer"])
    answer = client.post(
        "/exercices/programme",
        data={
            "csrf_token": token,
            "name": "Exercice lointain",
            "scenario": "crue-seine",
            "cron": "0 10 * * lun",
            "starts_at": starts_at,
            "notice_days": "0",
            "mode": "unattended",
        },
    )
    assert answer.status_code == 422
    assert OUT_OF_ERA in error_of(answer.text, "starts_at")
    with service.bus.reading() as uow:
        assert uow.programme.active() == []
