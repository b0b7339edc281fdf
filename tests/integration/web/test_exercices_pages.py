"""Les exercices through the real application: a scenario uploaded (checked, kept in the
database, listed, played, programmed, removed; errors in French with line and field), and a
drill played from the page through `PlayDrill`, journalled and in the history with its verdict."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.clock import PARIS
from crisis.domain.programme import RunState
from crisis.reporting.indicators_render import to_json
from crisis.reporting.indicators_service import indicators_view
from crisis.store.journal import SYSTEM_STREAM
from drills.model import bundled_scenarios
from tests.integration.web.conftest import new_client, sign_in

SEVESO = bundled_scenarios()["accident-seveso"].read_bytes()
# The same drill, uploaded under another name (and another title, to tell them apart).
GRIGNY = SEVESO.replace(b'title: "Exercice', b'title: "Essai')
EMPTY_INJECTS = re.sub(rb"\ninjects:\n(?:  .*\n)+", b"\ninjects: []\n", SEVESO)
ENGLISH = re.compile(r"\b(should|least|item|Input|Field|required|valid)\b")


def _client(service: Service, name: str) -> tuple[TestClient, str]:
    client = new_client(service)
    return client, sign_in(client, name)


def _upload(
    client: TestClient, token: str, content: bytes, name: str = "grigny.yaml", keep: bool = True
) -> object:
    return client.post(
        "/exercices/scenarios",
        data={"csrf_token": token, "action": "deposer" if keep else "verifier"},
        files={"scenario": (name, content, "application/yaml")},
    )


def _kept(service: Service) -> list[str]:
    with service.bus.unit_of_work() as uow:
        return [s.name for s in uow.programme.scenarios()]


def _kinds(service: Service) -> list[str]:
    with service.bus.unit_of_work() as uow:
        return [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]


def test_an_uploaded_scenario_is_kept_listed_programmed_and_removed(
    service: Service, people: dict[str, str]
) -> None:
    client, token = _client(service, people["duty_officer"])

    checked = _upload(client, token, GRIGNY, keep=False)
    assert checked.status_code == 200  # type: ignore[attr-defined]
    assert "« grigny.yaml » est valide" in checked.text  # type: ignore[attr-defined]
    assert _kept(service) == []

    kept = _upload(client, token, GRIGNY)
    assert "Scénario déposé" in kept.text  # type: ignore[attr-defined]
    assert _kept(service) == ["grigny"]
    assert "command.UploadScenario" in _kinds(service)
    listing = client.get("/exercices").text
    assert "Essai — fuite d&#39;ammoniac" in listing and "déposé dans la console" in listing
    assert "Alerter la population et donner la consigne" in listing  # its objectives
    assert "Retirer le scénario : Essai" in listing
    # The bundled scenarios' injects and faults in French: to whom, by which means, which channel.
    assert "Vigicrues → cadre de permanence (courriel)" in listing
    assert "de « SMS »" in listing and "de « Telegram (message personnel) »" in listing
    assert "cadre_permanence" not in listing and "(email)" not in listing

    again = _upload(client, token, GRIGNY)
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "Un scénario déposé s&#39;appelle déjà « grigny »" in again.text  # type: ignore[attr-defined]
    bundled = _upload(client, token, GRIGNY, name="crue-seine.yaml")
    assert "est le nom d&#39;un scénario fourni" in bundled.text  # type: ignore[attr-defined]

    added = client.post(
        "/exercices/programme",
        data={
            "csrf_token": token,
            "name": "Essai annuel",
            "scenario": "grigny",
            "rrule": "FREQ=YEARLY",
            "notice_days": "0",
            "mode": "unattended",
        },
    )
    assert "Entrée ajoutée au programme." in added.text
    in_use = client.post("/exercices/scenarios/grigny/retirer", data={"csrf_token": token})
    assert in_use.status_code == 409
    assert "est au programme (Essai annuel)" in in_use.text
    with service.bus.unit_of_work() as uow:
        entry = uow.programme.active()[0]
    client.post(f"/exercices/programme/{entry.id}/retirer", data={"csrf_token": token})
    removed = client.post("/exercices/scenarios/grigny/retirer", data={"csrf_token": token})
    assert "Scénario retiré." in removed.text
    assert _kept(service) == []
    not_bundled = client.post("/exercices/scenarios/crue-seine/retirer", data={"csrf_token": token})
    assert not_bundled.status_code == 409
    assert "Un scénario fourni avec le service ne peut pas être retiré." in not_bundled.text


def test_a_refused_scenario_says_every_problem_in_french_and_keeps_nothing(
    service: Service, people: dict[str, str]
) -> None:
    client, token = _client(service, people["duty_officer"])
    refused = _upload(client, token, EMPTY_INJECTS, name="vide.yaml")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    problems = re.findall(r"<li>(vide\.yaml[^<]*)</li>", refused.text)  # type: ignore[attr-defined]
    assert problems == ["vide.yaml, ligne 21, champ injects : ne doit pas être vide"]
    alert = refused.text.split('role="alert"')[1].split("</div>")[0]  # type: ignore[attr-defined]
    assert not ENGLISH.search(alert), alert
    broken = _upload(client, token, b"title: Essai\nkind: inondation\nduree: 2h\n", "x.yaml")
    assert "x.yaml, ligne 3, champ duree : champ inconnu" in broken.text  # type: ignore[attr-defined]
    missing = client.post("/exercices/scenarios", data={"csrf_token": token, "action": "deposer"})
    assert "Choisissez le fichier du scénario (YAML)." in missing.text
    assert _kept(service) == []
    assert "command.UploadScenario" not in _kinds(service)


def test_the_auditor_may_not_upload_nor_play(service: Service, people: dict[str, str]) -> None:
    client, token = _client(service, people["auditor"])
    assert "Déposer le scénario" not in client.get("/exercices").text
    refused = _upload(client, token, GRIGNY)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "ne permet pas de déposer un scénario" in refused.text  # type: ignore[attr-defined]
    played = client.post("/exercices/jouer", data={"csrf_token": token, "scenario": "crue-seine"})
    assert played.status_code == 403
    assert _kept(service) == []


def _wait_for_the_end(service: Service, timeout: float = 240) -> RunState:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with service.bus.unit_of_work() as uow:
            runs = uow.programme.runs()
        if runs and runs[0].state is not RunState.RUNNING:
            return runs[0].state
        time.sleep(0.5)
    pytest.fail("the drill did not end")


def test_a_drill_played_from_the_page_is_journalled_and_in_the_history(
    service: Service, people: dict[str, str], tmp_path: Path
) -> None:
    client, token = _client(service, people["duty_officer"])
    unknown = client.post("/exercices/jouer", data={"csrf_token": token, "scenario": "/etc/passwd"})
    assert unknown.status_code == 422
    assert "Scénario inconnu : « /etc/passwd »" in unknown.text

    started = client.post(
        "/exercices/jouer",
        data={"csrf_token": token, "scenario": "accident-seveso"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    address = started.headers["location"]
    assert address.startswith("/exercices/essais/")
    assert _wait_for_the_end(service) is RunState.DONE

    kinds = _kinds(service)
    # As a programmed run: its start, the command, then its end, once each.
    for kind in ("command.PlayDrill", "event.DrillRunStarted", "command.RecordDrillRun"):
        assert kinds.count(kind) == 1, kind
    assert kinds.index("command.RecordDrillRun") > kinds.index("command.PlayDrill")
    with service.bus.unit_of_work() as uow:
        run = uow.programme.runs()[0]
        assert uow.programme.active() == []  # played on demand: not a programme entry
    assert run.verdict is not None and "cell" in run.verdict["clocks"]
    assert Path(run.report_dir or "").is_relative_to(tmp_path)

    history = client.get("/exercices").text
    assert "À la demande : Exercice — fuite d&#39;ammoniac" in history
    assert f"lancé par {people['duty_officer']}" in history
    assert "cibles tenues" in history or "cible non tenue" in history
    assert f'href="{address}"' in history
    report = client.get(address)
    assert "Rapport de chronométrage" in report.text
    assert client.get(f"{address}/rapport.json").json()["exercise"] is True
    assert client.get(f"{address}/etat").headers["HX-Redirect"] == address

    # Commitment 49 counts it, as held outside the programme, on demand.
    now = service.clock.now()
    today = now.astimezone(PARIS).date()
    with service.bus.reading() as uow:
        pack = indicators_view(uow, first=today - timedelta(days=1), last=today, now=now)
    programme = json.loads(to_json(pack))["commitments"]["49"]
    assert (programme["planned"], programme["unplanned_held"]) == (0, 1)
    assert programme["on_demand_held"] == 1


def test_the_api_programmes_an_uploaded_scenario_by_its_name(service: Service) -> None:
    from crisis.domain.commands import AddUser
    from crisis.domain.programme import UploadScenario
    from crisis.services.context import SYSTEM_ACTOR

    token = service.bus.handle(AddUser(name="api", role="duty_officer"), actor=SYSTEM_ACTOR)
    headers = {"Authorization": f"Bearer {token['token']}"}
    client = new_client(service)
    body = {"name": "Essai", "scenario": "grigny", "rrule": "FREQ=YEARLY", "notice_days": 0}
    unknown = client.post("/api/v1/drills/schedules", json=body, headers=headers)
    assert unknown.status_code == 422
    assert "un scénario déposé dans la console" in unknown.text
    service.bus.handle(UploadScenario(file_name="grigny.yaml", content=GRIGNY), actor=SYSTEM_ACTOR)
    created = client.post("/api/v1/drills/schedules", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["scenario_title"].startswith("Essai — fuite d'ammoniac")


def test_the_console_programmes_a_standard_cron_rule_and_refuses_a_bad_one_in_french(
    service: Service, people: dict[str, str]
) -> None:
    client, token = _client(service, people["duty_officer"])
    form = {
        "csrf_token": token,
        "name": "Exercice du dimanche",
        "scenario": "crue-seine",
        "notice_days": "0",
        "mode": "unattended",
    }
    bad = client.post("/exercices/programme", data={**form, "cron": "0 10 * * 8"})
    assert bad.status_code == 422
    said = bad.text.split('id="erreur-cron"')[1].split("</p>")[0]
    assert "champ jour de la semaine « 8 »" in said and "0 et 7 = dimanche" in said
    assert not ENGLISH.search(said), said
    both = client.post(
        "/exercices/programme", data={**form, "cron": "0 10 * * 0", "rrule": "FREQ=WEEKLY"}
    )
    assert 'id="erreur-rrule"' in both.text
    assert "soit une règle RRULE, soit une expression cron" in both.text
    with service.bus.unit_of_work() as uow:
        assert uow.programme.active() == []

    added = client.post("/exercices/programme", data={**form, "cron": "0 10 * * 0"})
    assert "Entrée ajoutée au programme." in added.text
    entry = added.text.split("Exercice du dimanche</h3>")[1].split("Retirer du programme")[0]
    assert "règle cron standard « 0 10 * * 0 »" in entry
    dates = re.findall(r"<li>([^<]*à 10 h 00)</li>", entry)
    assert len(dates) == 3 and all(d.startswith("dimanche") for d in dates), dates
    assert "0 et 7 = dimanche, 1 = lundi" in added.text  # the field's help
