"""The exercise programme on both databases: entries through the bus, the API and the CLI;
each run and each notice exactly once across sweeps and a restart; the iCalendar export; the
unattended run writing its report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import Engine
from typer.testing import CliRunner

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.cli.drill_schedule import schedule_app
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.errors import InvalidInput
from crisis.domain.events import Event
from crisis.domain.programme import (
    AddDrillSchedule,
    DrillClaim,
    DrillRunClaimed,
    DrillSchedule,
    NotifyDrillParticipants,
    RunDueDrills,
    RunState,
)
from crisis.services.bus import Forbidden
from crisis.services.context import SYSTEM_ACTOR
from crisis.services.programme_handlers import PROGRAMME_CRISIS_ID
from crisis.settings import Settings
from crisis.store.journal import SYSTEM_STREAM
from drills.model import bundled_scenarios
from drills.programme import play_claim, start_runs
from tests.integration.delivery.conftest import CELL, OFFICER, Fakes, token_for
from tests.integration.delivery.test_broadcast import MARKER, dispatch

# Tuesday 20 October 2026, 10:00 in Paris (summer time), then weekly.
FIRST = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
SECOND = datetime(2026, 10, 27, 9, 0, tzinfo=UTC)  # winter time: still 10:00 in Paris
THIRD = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
WEEKLY = "FREQ=WEEKLY;BYDAY=TU;BYHOUR=10;BYMINUTE=0"

BROKEN = """\
title: Exercice cassé
kind: inondation
objectives: [Tenir les délais]
commitments: [47]
duration: "+01:00"
participants:
  - {role: cadre_permanence, name: Cadre}
injects:
  - {at: "+00:00", from: Vigicrues, to: cadre_permanence, channel: email, content: Vigilance}
  - {at: "soon", from: Animation, to: cadre_permanence, channel: email, content: Relance}
"""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 10, 1, 8, 0, tzinfo=UTC))


def add(service: Service, **overrides: object) -> DrillSchedule:
    values: dict[str, object] = {
        "name": "Exercice hebdomadaire",
        "scenario": "crue-seine",
        "rrule": WEEKLY,
        "notice_days": 7,
    }
    values.update(overrides)
    created: DrillSchedule = service.bus.handle(
        AddDrillSchedule(**values),  # type: ignore[arg-type]
        actor=OFFICER,
    )
    return created


def system_kinds(service: Service) -> list[str]:
    with service.bus.unit_of_work() as uow:
        return [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]


def restart(service: Service, engine: Engine, delivery: DeliveryConfig) -> Service:
    return bootstrap(
        settings=service.settings,
        clock=service.clock,
        engine=engine,
        delivery=delivery,
        scheduler_mode=SchedulerMode.NONE,
    )


def test_entries_are_kept_by_the_duty_officer_and_journalled(service: Service) -> None:
    created = add(service)
    assert created.scenario_title.startswith("Exercice — crue de la Seine")
    assert "command.AddDrillSchedule" in system_kinds(service)
    cell = CELL  # the communication cell reads the programme but does not keep it
    with pytest.raises(Forbidden):
        service.bus.handle(
            AddDrillSchedule(name="x", scenario="crue-seine", rrule=WEEKLY), actor=cell
        )


def test_a_broken_scenario_is_refused_with_file_line_and_field(
    service: Service, tmp_path: Path
) -> None:
    path = tmp_path / "casse.yaml"
    path.write_text(BROKEN, "utf-8")
    with pytest.raises(InvalidInput) as caught:
        add(service, scenario=str(path))
    assert caught.value.field == "scenario"
    assert f"{path}, ligne 10, champ injects[1].at" in caught.value.message
    with service.bus.unit_of_work() as uow:
        assert uow.programme.active() == []


def test_each_occurrence_runs_once_across_sweeps_and_a_restart(
    service: Service, clock: ManualClock, engine: Engine, delivery: DeliveryConfig
) -> None:
    created = add(service, starts_at=FIRST - timedelta(days=1))
    assert service.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR) == []
    clock.set(FIRST + timedelta(seconds=20))
    (claim,) = service.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR)
    assert (claim.schedule_id, claim.occurrence) == (created.id, FIRST)
    assert service.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR) == []
    again = restart(service, engine, delivery)
    assert again.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR) == []
    # Down for two weeks: the occurrence long past is recorded as missed, the fresh one runs.
    clock.set(THIRD + timedelta(minutes=5))
    (claim,) = again.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR)
    assert claim.occurrence == THIRD
    with again.bus.unit_of_work() as uow:
        states = {r.occurrence: r.state for r in uow.programme.runs(created.id)}
    assert states == {FIRST: RunState.RUNNING, SECOND: RunState.MISSED, THIRD: RunState.RUNNING}
    kinds = system_kinds(again)
    assert kinds.count("event.DrillRunStarted") == 2
    assert kinds.count("event.DrillMissed") == 1
    assert kinds.count("command.RunDueDrills") == 2  # the idle sweeps leave no trace


def test_the_claims_reach_the_after_commit_hooks_that_play_them(
    service: Service, clock: ManualClock
) -> None:
    """The scheduler only posts RunDueDrills: what it claimed is announced once committed."""
    add(service, starts_at=FIRST - timedelta(days=1))
    seen: list[Event] = []
    service.bus.after_commit.append(seen.extend)
    clock.set(FIRST + timedelta(seconds=20))
    (claim,) = service.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR)
    assert [e.claim for e in seen if isinstance(e, DrillRunClaimed)] == [claim]
    with service.bus.unit_of_work() as uow:
        assert uow.programme.run(claim.schedule_id, claim.occurrence) is not None
    seen.clear()
    assert service.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR) == []
    assert seen == []


def test_the_notice_leaves_n_days_ahead_once_marked_exercice(
    service: Service, clock: ManualClock, engine: Engine, delivery: DeliveryConfig, fakes: Fakes
) -> None:
    service.bus.handle(
        CreateContact(
            contact=ContactInput(
                name="Chef de cellule",
                category="cellule",
                email="chef.cellule@prefecture.gouv.fr",
                exercise=True,
            )
        ),
        actor=OFFICER,
    )
    service.bus.handle(
        CreateContact(
            contact=ContactInput(
                name="Hors exercice",
                category="cellule",
                email="absent@prefecture.gouv.fr",
                exercise=False,
            )
        ),
        actor=OFFICER,
    )
    add(service, notice_days=7, starts_at=FIRST - timedelta(days=1))
    clock.set(FIRST - timedelta(days=7, minutes=1))
    assert service.bus.handle(NotifyDrillParticipants(), actor=SYSTEM_ACTOR) == []
    clock.set(FIRST - timedelta(days=7) + timedelta(seconds=15))
    (notice,) = service.bus.handle(NotifyDrillParticipants(), actor=SYSTEM_ACTOR)
    # The cell contact who takes part in exercises, and the scenario's three participants
    # who have an address (by e-mail, their first exercise channel); never « Hors exercice ».
    assert notice["recipients"] == 4
    assert service.bus.handle(NotifyDrillParticipants(), actor=SYSTEM_ACTOR) == []
    again = restart(service, engine, delivery)
    assert again.bus.handle(NotifyDrillParticipants(), actor=SYSTEM_ACTOR) == []
    assert dispatch(service) == 4
    recipients = sorted(str(m.message["To"]) for m in fakes.smtp.mails)
    assert recipients == [
        "chef.cellule@exercice.example.fr",
        "chef.cellule@prefecture.gouv.fr",
        "redacteur@exercice.example.fr",
        "reseaux@exercice.example.fr",
    ]
    (mail,) = [m for m in fakes.smtp.mails if "prefecture.gouv.fr" in str(m.message["To"])]
    subject = str(mail.message["Subject"])
    body = mail.message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert subject.startswith(MARKER)
    assert "mardi 20 octobre 2026 à 10 h 00" in subject
    assert text.startswith(MARKER)
    assert "Objectifs :" in text
    assert "chef.cellule@prefecture.gouv.fr" in str(mail.message["To"])
    assert system_kinds(service).count("event.DrillNoticeSent") == 1
    with service.bus.unit_of_work() as uow:
        container = uow.crises.get(PROGRAMME_CRISIS_ID)
    assert container.exercise
    assert not container.clocks


def test_the_unattended_run_writes_its_report_and_is_journalled(
    service: Service, clock: ManualClock, settings: Settings
) -> None:
    created = add(service, scenario="accident-seveso", starts_at=FIRST - timedelta(days=1))
    clock.set(FIRST + timedelta(seconds=5))
    claims: list[DrillClaim] = service.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR)
    for thread in start_runs(service.bus, claims, make_service=bootstrap):
        thread.join(timeout=120)
    folder = settings.data_dir / "drills" / created.id / "20261020T0800Z"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["journal.jsonl", "report.csv", "report.html", "report.json", "report.md"]
    report = json.loads((folder / "report.json").read_text("utf-8"))
    assert report["exercise"] is True
    with service.bus.unit_of_work() as uow:
        (run,) = uow.programme.runs(created.id)
        entries = uow.journal.entries(SYSTEM_STREAM)
    assert run.state is RunState.DONE
    assert run.verdict is not None
    assert set(run.verdict["clocks"]) == {c["name"] for c in report["clocks"]}
    finished = [e for e in entries if e.kind == "command.RecordDrillRun"]
    assert len(finished) == 1
    assert finished[0].payload["command"]["report_dir"] == str(folder.resolve())
    assert finished[0].payload["outcome"]["state"] == "done"


def test_a_run_whose_scenario_broke_is_recorded_as_failed(
    service: Service, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(bundled_scenarios()["crue-seine"].read_text("utf-8"), "utf-8")
    created = add(service, scenario=str(path), starts_at=FIRST - timedelta(days=1))
    path.write_text(BROKEN, "utf-8")
    clock.set(FIRST)
    (claim,) = service.bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR)
    play_claim(service.bus, claim, make_service=bootstrap)
    with service.bus.unit_of_work() as uow:
        (run,) = uow.programme.runs(created.id)
    assert run.state is RunState.FAILED
    assert run.error is not None
    assert "ligne 10" in run.error


def test_api_and_icalendar_export(service: Service, clock: ManualClock) -> None:
    client = TestClient(create_app(service))
    officer = {"Authorization": f"Bearer {token_for(service, 'duty_officer')}"}
    cell = {"Authorization": f"Bearer {token_for(service, 'comm_cell')}"}
    body = {"name": "Hebdo", "scenario": "crue-seine", "rrule": WEEKLY, "notice_days": 7}
    assert client.post("/api/v1/drills/schedules", json=body, headers=cell).status_code == 403
    bad = client.post(
        "/api/v1/drills/schedules", json={**body, "rrule": "FREQ=HOURLY"}, headers=officer
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "rrule"
    outside = client.post(
        "/api/v1/drills/schedules", json={**body, "scenario": "/etc/passwd"}, headers=officer
    )
    assert outside.status_code == 422
    created = client.post("/api/v1/drills/schedules", json=body, headers=officer)
    assert created.status_code == 201, created.text
    schedule_id = created.json()["id"]
    (listed,) = client.get("/api/v1/drills/schedules", headers=cell).json()
    assert [n["label"] for n in listed["next"]] == [
        "mardi 6 octobre 2026 à 10 h 00",
        "mardi 13 octobre 2026 à 10 h 00",
        "mardi 20 octobre 2026 à 10 h 00",
    ]
    clock.set(datetime(2026, 10, 14, tzinfo=UTC))
    answer = client.get("/api/v1/drills/schedule.ics?count=3", headers=cell)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 3
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    starts: list[Any] = [e["DTSTART"] for e in events]
    assert all(s.params["TZID"] == "Europe/Paris" for s in starts)
    assert [s.dt.astimezone(UTC) for s in starts] == [FIRST, SECOND, THIRD]
    assert all(s.dt.hour == 10 for s in starts)
    assert str(events[0]["SUMMARY"]).startswith("Exercice — crue de la Seine")
    duration: Any = events[0]["DURATION"]
    assert duration.dt == timedelta(hours=3)
    assert "Objectifs :" in str(events[0]["DESCRIPTION"])
    assert len({str(e["UID"]) for e in events}) == 3
    gone = client.delete(f"/api/v1/drills/schedules/{schedule_id}", headers=officer)
    assert gone.status_code == 200
    assert client.get("/api/v1/drills/schedules", headers=cell).json() == []
    again = client.delete(f"/api/v1/drills/schedules/{schedule_id}", headers=officer)
    assert again.status_code == 404


def test_command_line(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"CRISIS_DATABASE_URL": database_url, "CRISIS_DATA_DIR": str(tmp_path)}
    broken = tmp_path / "casse.yaml"
    broken.write_text(BROKEN, "utf-8")
    refused = runner.invoke(
        schedule_app, ["add", "X", "--scenario", str(broken), "--cron", "0 10 * * tue"], env=env
    )
    assert refused.exit_code == 2
    assert "ligne 10, champ injects[1].at" in refused.output
    bad_rule = runner.invoke(
        schedule_app, ["add", "X", "--scenario", "crue-seine", "--cron", "0 10 * *"], env=env
    )
    assert bad_rule.exit_code == 2
    assert "5 champs attendus" in bad_rule.output
    english = runner.invoke(
        schedule_app, ["add", "X", "--scenario", "crue-seine", "--cron", "* * 7"], env=env
    )
    assert english.exit_code == 2
    assert "5 champs attendus" in english.output
    out_of_range = runner.invoke(
        schedule_app, ["add", "X", "--scenario", "crue-seine", "--cron", "0 10 * * 8"], env=env
    )
    assert out_of_range.exit_code == 2
    assert "champ jour de la semaine « 8 » : 8 est hors limites" in out_of_range.output
    # Standard cron: 0 = Sunday (APScheduler, read before 0013, made it a Monday).
    added = runner.invoke(
        schedule_app,
        ["add", "Dominical", "--scenario", "crue-seine", "--cron", "0 10 * * 0", "--json"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    view = json.loads(added.output)
    assert view["rule"] == "0 10 * * 0"
    assert len(view["next"]) == 3
    assert all(
        " à 10 h 00" in n["label"] and n["label"].startswith("dimanche") for n in view["next"]
    )
    listed = runner.invoke(schedule_app, ["list"], env=env)
    assert "Dominical" in listed.output
    assert "règle cron standard « 0 10 * * 0 »" in listed.output
    assert listed.output.count("• dimanche") == 3
    out = tmp_path / "programme.ics"
    exported = runner.invoke(schedule_app, ["ical", "--out", str(out), "--count", "3"], env=env)
    assert exported.exit_code == 0, exported.output
    events = Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    fields: list[Any] = [e["DTSTART"] for e in events]
    starts = [f.dt for f in fields]
    assert len(starts) == 3
    assert all(s.weekday() == 6 and s.hour == 10 for s in starts)  # Sundays, 10:00 in Paris
    removed = runner.invoke(schedule_app, ["remove", view["id"]], env=env)
    assert removed.exit_code == 0
    named = runner.invoke(
        schedule_app,
        ["add", "Hebdo", "--scenario", "crue-seine", "--cron", "0 10 * * Mardi", "--json"],
        env=env,
    )
    assert named.exit_code == 0, named.output
    assert json.loads(named.output)["rule"] == "0 10 * * tue"  # the standard form is kept
    runner.invoke(schedule_app, ["remove", json.loads(named.output)["id"]], env=env)
    assert "Aucun exercice programmé." in runner.invoke(schedule_app, ["list"], env=env).output
