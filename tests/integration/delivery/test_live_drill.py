"""A live drill on the service's own database against the loopback fakes, on a moved clock:
injects reach the named participants marked EXERCICE, the players' real actions stop the
clocks, simulated actions are not played, and the report is written."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import ActivateCod, CodDecision, DeclareCellOperational
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.store.journal import JournalEntry
from drills.live import LiveDrill, LiveDrillError
from drills.model import load_scenario
from tests.integration.delivery.conftest import OFFICER, Fakes
from tests.integration.delivery.test_broadcast import MARKER, dispatch

SCENARIO = """\
title: Exercice en direct
kind: inondation
communes: [Yerres]
objectives: [Activer la cellule en moins d'une heure]
commitments: [47]
duration: "+00:30"
participants:
  - {role: cadre_permanence, name: Cadre de permanence, email: cadre@prefecture.gouv.fr}
  - {role: chef_de_cellule, name: Chef de cellule, telegram_chat_id: "4242"}
  - {role: animateur, name: Animateur}
injects:
  - {at: "+00:00", from: Vigicrues, to: cadre_permanence, channel: email, content: "Vigilance rouge crues sur l'Yerres.", expected_action: Activer le COD, target: "+00:10"}
  - {at: "+00:12", from: Préfet, to: chef_de_cellule, channel: telegram, content: "Réunissez la cellule."}
actions:
  - {at: "+00:01", do: activate_cod, by: Préfet}
"""


def person(name: str, **fields: str) -> ContactInput:
    return ContactInput(name=name, category="cellule", exercise=True, **fields)


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "direct.yaml"
    path.write_text(SCENARIO, "utf-8")
    return path


def test_live_drill_delivers_injects_and_writes_its_report(
    service: Service, clock: ManualClock, fakes: Fakes, scenario_file: Path, tmp_path: Path
) -> None:
    for contact in (
        person("Cadre de permanence", email="cadre@prefecture.gouv.fr"),
        person("Chef de cellule", telegram_chat_id="4242"),
    ):
        service.bus.handle(CreateContact(contact=contact), actor=OFFICER)
    start = clock.now()
    slept: list[float] = []
    players_acted: list[str] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    def pump() -> None:
        dispatch(service)
        # The players, through the service, at their own pace: COD at +5, cell at +20.
        elapsed = clock.now() - start
        if drill.crisis_id and elapsed >= timedelta(minutes=5) and "cod" not in players_acted:
            players_acted.append("cod")
            service.bus.handle(
                ActivateCod(
                    crisis_id=drill.crisis_id,
                    decision=CodDecision(decided_by="Préfet", synergi_ref="SYN-1"),
                ),
                actor=OFFICER,
            )
        if elapsed >= timedelta(minutes=20) and "cell" not in players_acted:
            players_acted.append("cell")
            service.bus.handle(DeclareCellOperational(crisis_id=drill.crisis_id), actor=OFFICER)

    drill = LiveDrill(
        load_scenario(scenario_file), bus=service.bus, clock=clock, sleep=sleep, pump=pump
    )
    result = drill.run(tmp_path / "rapport")

    assert clock.now() - start >= timedelta(minutes=30)
    assert max(slept) <= 30  # it woke up regularly, and never waited for real
    assert result.injects_sent == 2
    assert result.skipped_actions == 1
    mails = [m for m in fakes.smtp.mails if "cadre@prefecture.gouv.fr" in str(m.message["To"])]
    assert len(mails) == 1
    assert str(mails[0].message["Subject"]).startswith(MARKER)
    assert "Vigilance rouge crues" in str(mails[0].message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    telegrams = [m for m in fakes.telegram.sent if m.chat_id == "4242"]
    assert len(telegrams) == 1
    assert telegrams[0].text.startswith(MARKER)
    assert "Réunissez la cellule." in telegrams[0].text
    report = json.loads((tmp_path / "rapport" / "report.json").read_text("utf-8"))
    assert report["exercise"] is True
    clocks = {c["name"]: c for c in report["clocks"]}
    assert clocks["cell"]["achieved_minutes"] == 15.0  # COD at +5, cell operational at +20
    assert sorted(p.name for p in (tmp_path / "rapport").iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
    ]
    with service.bus.unit_of_work() as uow:
        entries: list[JournalEntry] = uow.journal.entries(drill.crisis_id)
        crisis = uow.crises.get(drill.crisis_id)
    kinds = [e.kind for e in entries]
    assert kinds.count("event.InjectPlayed") == 2
    assert kinds.count("command.DeliverInject") == 2
    assert crisis.exercise
    assert crisis.state.value == "closed"


def test_live_drill_refuses_to_start_without_its_participants(
    service: Service, clock: ManualClock, scenario_file: Path, tmp_path: Path
) -> None:
    service.bus.handle(
        CreateContact(
            contact=ContactInput(
                name="Cadre", category="cellule", email="cadre@prefecture.gouv.fr", exercise=False
            )
        ),
        actor=OFFICER,
    )
    drill = LiveDrill(
        load_scenario(scenario_file), bus=service.bus, clock=clock, sleep=lambda _: None
    )
    with pytest.raises(LiveDrillError) as caught:
        drill.run(tmp_path / "rapport")
    assert any("ne participe pas aux exercices" in p for p in caught.value.problems)
    assert any("Chef de cellule" in p and "aucun contact" in p for p in caught.value.problems)
    with service.bus.unit_of_work() as uow:
        assert uow.crises.find() == []


def test_simulated_actions_are_played_in_a_live_drill(
    service: Service, clock: ManualClock, fakes: Fakes, tmp_path: Path
) -> None:
    """Nobody plays the préfet today: the COD activation marked `simulated` is played at +01."""
    for contact in (
        person("Cadre de permanence", email="cadre@prefecture.gouv.fr"),
        person("Chef de cellule", telegram_chat_id="4242"),
    ):
        service.bus.handle(CreateContact(contact=contact), actor=OFFICER)
    path = tmp_path / "simule.yaml"
    path.write_text(
        SCENARIO.replace(
            '  - {at: "+00:01", do: activate_cod, by: Préfet}',
            '  - {at: "+00:01", do: activate_cod, by: Préfet, simulated: true}\n'
            '  - {at: "+00:07", do: declare_cell_operational, by: Chef de cellule}',
        ),
        "utf-8",
    )

    def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    start = clock.now()
    drill = LiveDrill(load_scenario(path), bus=service.bus, clock=clock, sleep=sleep)
    result = drill.run(tmp_path / "rapport")

    assert result.skipped_actions == 1  # the cell declaration is left to the real players
    report = result.report
    assert report.cod_decided_at == start + timedelta(minutes=1)
    assert report.cod_decided_by == "Préfet"
    cell = next(c for c in report.clocks if c.name == "cell")
    assert (cell.state, cell.met_at) == ("running", None)  # nobody declared it: not simulated
