"""La relecture through the real application: instants, deep links, annotations, export."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete

from crisis.bootstrap import Service
from crisis.clock import PARIS, ManualClock
from crisis.domain.commands import (
    CheckDeadlines,
    CloseCrisis,
    CodDecision,
    DeclareCellOperational,
    OpenCrisis,
)
from crisis.domain.programme import RunState
from crisis.domain.retex import CorrectiveActionInput, RecordRetex
from crisis.domain.vocabulary import CrisisKind
from crisis.reporting.service import crisis_report
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.store.tables import journal, journal_heads
from tests.integration.web.conftest import hidden, new_client, sign_in
from tests.integration.web.test_exercices_pages import _wait_for_the_end

OFFICER = Actor(name="cadre", role="duty_officer", user_id="u-officer")
PREFECT = Actor(name="préfète", role="prefect", user_id="u-prefect")


def _night(service: Service, clock: ManualClock) -> str:
    """+0 COD; +20 cell operational; +61 the other clocks breach; +90 closed."""
    t0 = clock.now()
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de l'Orge",
            kind=CrisisKind.INONDATION,
            exercise=True,
            communes=("Juvisy-sur-Orge",),
            activation=CodDecision(decided_by="préfète", synergi_ref="SYN-1"),
        ),
        actor=OFFICER,
    )
    clock.set(t0 + timedelta(minutes=20))
    service.bus.handle(DeclareCellOperational(crisis_id=crisis_id, note=""), actor=OFFICER)
    clock.set(t0 + timedelta(minutes=61))
    service.bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR)
    clock.set(t0 + timedelta(minutes=90))
    service.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="décrue"), actor=PREFECT)
    clock.set(t0 + timedelta(hours=3))
    return crisis_id


def _paris(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def _clock_states(html: str) -> dict[str, str]:
    found = re.findall(
        r'data-clock="(\w+)">.*?console-clock__state">([^<]+)<', html, flags=re.DOTALL
    )
    return dict(found)


def test_each_instant_shows_the_clocks_as_they_stood(
    service: Service, clock: ManualClock, people: dict[str, str], client: TestClient
) -> None:
    t0 = clock.now()
    crisis_id = _night(service, clock)
    sign_in(client, people["auditor"])
    page = client.get(f"/evenements/{crisis_id}/rejouer?a={_paris(t0 + timedelta(minutes=10))}")
    assert page.status_code == 200
    assert "Relecture" in page.text and "état au" in page.text
    assert _clock_states(page.text) == dict.fromkeys(
        ("cell", "elus", "public", "media"), "en cours"
    )
    assert "reste 50 min 00 s (échéance 23\u00a0h\u00a015)" in page.text
    later = client.get(f"/evenements/{crisis_id}/rejouer?a={_paris(t0 + timedelta(minutes=30))}")
    assert _clock_states(later.text)["cell"] == "tenue"
    breached = client.get(f"/evenements/{crisis_id}/rejouer?a={_paris(t0 + timedelta(minutes=62))}")
    assert _clock_states(breached.text)["media"] == "dépassée"
    assert "échéance dépassée" in breached.text
    # By default, and past the end: the close.
    closed = client.get(f"/evenements/{crisis_id}/rejouer")
    assert "clos" in closed.text
    # Without JavaScript, the slider's form sends its position: seconds since the start.
    slid = client.get(f"/evenements/{crisis_id}/rejouer?s=1200")
    assert _clock_states(slid.text)["cell"] == "tenue"
    assert "rejouer?a=" + _paris(t0 + timedelta(minutes=20)) in slid.text
    first = client.get(f"/evenements/{crisis_id}/rejouer?entree=1")
    assert "COD non activé" in first.text  # just the opening


def test_a_wrong_instant_says_so_in_french_and_shows_the_close(
    service: Service, clock: ManualClock, people: dict[str, str], client: TestClient
) -> None:
    crisis_id = _night(service, clock)
    sign_in(client, people["prefect"])
    page = client.get(f"/evenements/{crisis_id}/rejouer?a=hier-soir")
    assert page.status_code == 200
    assert "Instant illisible « hier-soir »" in page.text
    # Read-only for every role: no form of the event's actions.
    for action in ("/cod", "/clore", "/corrections", "/appel", "/cip"):
        assert f'action="/evenements/{crisis_id}{action}"' not in page.text
    assert "/rejouer/annotations" not in page.text  # the préfet does not annotate


def test_the_live_clocks_and_the_replay_of_now_are_the_same(
    service: Service, clock: ManualClock, people: dict[str, str], client: TestClient
) -> None:
    t0 = clock.now()
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Feu de forêt",
            kind=CrisisKind.INONDATION,
            exercise=True,
            activation=CodDecision(decided_by="préfète", synergi_ref="SYN-2"),
        ),
        actor=OFFICER,
    )
    clock.set(t0 + timedelta(minutes=47))
    service.bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR)
    sign_in(client, people["duty_officer"])
    live = client.get(f"/evenements/{crisis_id}/horloges").text
    replay = client.get(f"/evenements/{crisis_id}/rejouer?a={_paris(clock.now())}").text
    live_clocks = re.search(r'<ul class="console-clocks".*?</ul>', live, flags=re.DOTALL)
    replayed = re.search(r'<ul class="console-clocks".*?</ul>', replay, flags=re.DOTALL)
    assert live_clocks is not None and replayed is not None
    # The same clocks, word for word; the live ones count down in the browser (their seconds
    # in an element that names the deadline), the replay's stand still.
    ticking = re.compile(r'<span data-echeance="[^"]*" data-sens="[a-z]+">(.*?)</span>')
    assert ticking.sub(r"\1", live_clocks.group(0)) == replayed.group(0)
    assert "data-echeance" in live_clocks.group(0) and "data-echeance" not in replayed.group(0)
    assert "avertissement" in live_clocks.group(0)


def test_the_auditor_annotates_an_instant_linked_to_a_corrective_action(
    service: Service, clock: ManualClock, people: dict[str, str], client: TestClient
) -> None:
    t0 = clock.now()
    crisis_id = _night(service, clock)
    service.bus.handle(
        RecordRetex(
            crisis_id=crisis_id,
            worked="",
            did_not_work="Le préfet injoignable",
            actions=(
                CorrectiveActionInput(
                    description="Suppléance du préfet", owner="cabinet", due_date=date(2027, 1, 31)
                ),
            ),
        ),
        actor=OFFICER,
    )
    token = sign_in(client, people["auditor"])
    instant = t0 + timedelta(minutes=42)
    page = client.get(f"/evenements/{crisis_id}/rejouer?a={_paris(instant)}")
    action_id = re.search(r'<option value="([0-9a-f-]{36})">Suppléance du préfet', page.text)
    assert action_id is not None
    at = hidden(page.text, "at")
    empty = client.post(
        f"/evenements/{crisis_id}/rejouer/annotations",
        data={"csrf_token": token, "at": at, "text": "  "},
        follow_redirects=False,
    )
    assert empty.status_code == 422 and "Écrivez la remarque" in empty.text
    note = {
        "csrf_token": token,
        "at": at,
        "text": "Ici le préfet était en réunion de crise, injoignable",
        "action_id": action_id.group(1),
        "idempotency_key": hidden(page.text, "idempotency_key"),
    }
    posted = client.post(
        f"/evenements/{crisis_id}/rejouer/annotations", data=note, follow_redirects=True
    )
    assert posted.status_code == 200
    # Sent twice (a double tap): recorded once.
    client.post(f"/evenements/{crisis_id}/rejouer/annotations", data=note)
    assert "Annotation enregistrée au journal." in posted.text
    assert "injoignable" in posted.text and "à cet instant" in posted.text
    assert "Suppléance du préfet" in posted.text
    with service.bus.reading() as uow:
        report = crisis_report(uow, crisis_id, now=clock.now())
    (remark,) = report.annotations
    assert (remark.at, remark.written_by, remark.action) == (
        instant,
        people["auditor"],
        "Suppléance du préfet",
    )
    assert report.journal.ok
    html = client.get(f"/evenements/{crisis_id}/rapport.html").text
    assert "Annotations de la relecture" in html and "injoignable" in html
    # The communication cell reads the replay, and does not annotate.
    cell = new_client(service)
    cell_token = sign_in(cell, people["comm_cell"])
    refused = cell.post(
        f"/evenements/{crisis_id}/rejouer/annotations",
        data={"csrf_token": cell_token, "at": at, "text": "non"},
        follow_redirects=False,
    )
    assert refused.status_code == 403


def test_the_export_is_one_file_with_the_chain_head_and_nothing_to_fetch(
    service: Service, clock: ManualClock, people: dict[str, str], client: TestClient
) -> None:
    crisis_id = _night(service, clock)
    sign_in(client, people["auditor"])
    exported = client.get(f"/evenements/{crisis_id}/rejouer/export.html")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    text = exported.text
    with service.bus.reading() as uow:
        head = uow.journal.head(crisis_id)
    assert head is not None and head[1] in text
    assert "intègre" in text
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert text.count("<template id=") >= 90  # a state for each minute of the night at least


def test_a_played_drill_keeps_its_journal_and_exports_its_replay(
    service: Service, people: dict[str, str]
) -> None:
    client = new_client(service)
    token = sign_in(client, people["duty_officer"])
    started = client.post(
        "/exercices/jouer",
        data={"csrf_token": token, "scenario": "accident-seveso"},
        follow_redirects=False,
    )
    address = started.headers["location"]
    assert _wait_for_the_end(service) is RunState.DONE
    report = client.get(address).text
    assert f'href="{address}/relecture.html"' in report
    exported = client.get(f"{address}/relecture.html")
    assert exported.status_code == 200
    assert "EXERCICE — EXERCICE — EXERCICE" in exported.text
    assert "intègre" in exported.text
    assert not re.search(r'(src|href)="(https?:)?//', exported.text)
    missing = client.get("/exercices/essais/inconnu/2026-01-01T00-00/relecture.html")
    assert missing.status_code == 404


def test_an_event_whose_journal_was_cut_still_shows_on_the_dashboard(
    service: Service, people: dict[str, str], client: TestClient, engine: Engine
) -> None:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Journal tronqué",
            kind=CrisisKind.INONDATION,
            exercise=True,
            activation=CodDecision(decided_by="préfète", synergi_ref="SYN-3"),
        ),
        actor=OFFICER,
    )
    with engine.begin() as connection:
        connection.execute(delete(journal).where(journal.c.stream == crisis_id))
        connection.execute(delete(journal_heads).where(journal_heads.c.stream == crisis_id))
    sign_in(client, people["duty_officer"])
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and "Journal tronqué" in dashboard.text
