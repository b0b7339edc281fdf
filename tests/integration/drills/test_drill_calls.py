"""A drill's call-out calls the cell on the drill's own telephone: scripted answers (« 1 »,
busy then « 1 », « 2 », no key), the same acknowledgement as a real call, no trunk reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.bootstrap import bootstrap
from drills.model import ScenarioError, load_scenario
from drills.runner import DrillRunner
from tests.integration.drills.test_runner import START

CALLS = """\
title: Exercice d'appel
kind: inondation
objectives: [Joindre la cellule par téléphone]
commitments: [47]
duration: "+00:30"
participants:
  - {role: cadre_permanence, name: Cadre}
  - {role: chef_de_cellule, name: Chef, mobile: "06 11 11 11 11", call_answers: 1}
  - {role: redacteur, name: Rédactrice, mobile: "06 22 22 22 22", call_answers: [occupé, 1]}
  - {role: charge_reseaux_sociaux, name: Réseaux, mobile: "06 33 33 33 33", call_answers: "2"}
  - {role: attache_presse, name: Presse, mobile: "06 44 44 44 44"}
injects:
  - {at: "+00:00", from: Vigicrues, to: cadre_permanence, channel: email, content: Vigilance rouge}
actions:
  - {at: "+00:02", do: activate_cod, by: Préfet}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "appel.yaml"
    path.write_text(CALLS, "utf-8")
    return path


def test_the_drill_calls_are_answered_as_scripted_and_acknowledge_by_phone(
    scenario_file: Path, tmp_path: Path
) -> None:
    result = DrillRunner(load_scenario(scenario_file), start=START, make_service=bootstrap).run(
        tmp_path / "out"
    )
    telephone = result.telephone
    assert telephone is not None
    answers = [(c.number, c.answer) for c in telephone.calls]
    # Called 3 minutes after the texts (CRISIS_CALLOUT_METHODS), each marked EXERCICE.
    assert ("+33611111111", "1") in answers
    assert answers.count(("+33622222222", "occupé")) == 1  # busy, then called again
    assert ("+33622222222", "1") in answers
    assert ("+33633333333", "2") in answers
    assert ("+33644444444", "sans touche") in answers
    assert all("EXERCICE" in c.text for c in telephone.calls)

    journal = result.report.chronology
    kinds = [line.kind for line in journal]
    acknowledged = [line for line in journal if line.kind == "event.PageAcknowledged"]
    assert {line.summary.split(" ")[0] for line in acknowledged} >= {"Chef", "Rédactrice"}, [
        line.summary for line in acknowledged
    ]
    assert all("téléphone (touche 1)" in line.summary for line in acknowledged)
    assert "event.PageDeclined" in kinds  # « 2 »: the escalation moved on at once
    # The calls are journalled once per round, never one acceptance entry per call.
    rounds = [line.summary for line in journal if line.kind == "event.CalloutRoundCalls"]
    assert "chef de cellule, tour 1 : 1 appel — touche 1 : 1" in rounds
    assert "rédacteur, tour 1 : 1 appel — touche 1 : 1" in rounds
    assert "chargé des réseaux sociaux, tour 1 : 1 appel — touche 2 : 1" in rounds
    assert "attaché de presse / porte-parole, tour 1 : 1 appel — message laissé : 1" in rounds
    accepted = [line.summary for line in journal if line.kind == "event.DeliveriesAccepted"]
    assert accepted and not any("appel téléphonique" in line for line in accepted), accepted
    # The report still finds them: the call-out's calls by outcome, from the summaries.
    callout = result.report.callout
    assert callout is not None
    assert callout.calls == {"acknowledged": 2, "declined": 1, "message_left": 1}
    paging = [m for m in result.report.messages if m.purpose == "callout"]
    assert paging and all(c.channel != "voice" for m in paging for c in m.channels)


def test_a_call_answer_the_drill_cannot_play_is_refused_with_the_scenario(
    tmp_path: Path,
) -> None:
    path = tmp_path / "faux.yaml"
    path.write_text(CALLS.replace('call_answers: "2"', "call_answers: [3]"), "utf-8")
    with pytest.raises(ScenarioError, match="call_answers"):
        load_scenario(path)
