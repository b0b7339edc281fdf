"""Scenario files: the bundled ones are valid; a mistake names the file, the line and the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from drills.model import ScenarioError, bundled_scenarios, load_scenario, parse_offset

VALID = """\
title: Petit exercice
kind: inondation
communes: [Yerres]
objectives: [Tenir les délais]
commitments: [47, 48]
duration: "+01:00"
participants:
  - {role: cadre_permanence, name: Cadre}
injects:
  - at: "+00:00"
    from: Vigicrues
    to: cadre_permanence
    channel: email
    content: Vigilance orange
    expected_action: activer le COD
    target: "+00:10"
actions:
  - {at: "+00:05", do: activate_cod, by: Préfet}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, "utf-8")
    return path


def test_bundled_scenarios_are_valid_and_realistic() -> None:
    bundled = bundled_scenarios()
    assert sorted(bundled) == ["accident-seveso", "crue-seine", "tempete-coupures"]
    kinds = {load_scenario(path).kind.value for path in bundled.values()}
    assert kinds == {"inondation", "accident_industriel", "tempete"}
    faults = [f for path in bundled.values() for f in load_scenario(path).faults]
    assert any(f.mode == "down" for f in faults)


def test_offsets() -> None:
    assert parse_offset("+01:25") == timedelta(minutes=85)
    assert parse_offset("+00:00") == timedelta(0)
    for bad in ("01:25", "+1:75", "+00:5", "demain"):
        with pytest.raises(ValueError, match=r"\+HH:MM"):
            parse_offset(bad)


def test_a_valid_file_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, VALID))
    assert scenario.injects[0].target == timedelta(minutes=10)
    assert scenario.actions[0].do == "activate_cod"


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "reason"),
    [
        ('duration: "+01:00"', 'duration: "1h"', 6, "duration", "+HH:MM"),
        ("    channel: email\n", "", 10, "injects[0].channel", "champ obligatoire"),
        (
            "    content: Vigilance orange\n",
            "    content: Vigilance orange\n    colour: red\n",
            15,
            "injects[0].colour",
            "champ inconnu",
        ),
        (
            '    target: "+00:10"',
            '    target: "+00:00"\n  - {at: "+00:30", from: A, to: B, channel: c, content: d, target: "+00:20"}',
            17,
            "injects[1]",
            "précède",
        ),
        ("kind: inondation", "kind: seisme", 2, "kind", "inondation"),
        ("do: activate_cod", "do: close", 18, "actions[0]", "motif"),
    ],
    ids=["offset", "missing", "unknown", "target-before", "kind", "action-fields"],
)
def test_a_mistake_is_located(
    tmp_path: Path, old: str, new: str, line: int, field: str, reason: str
) -> None:
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}, ligne {line}, champ {field} : ")
    assert reason in problem


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("communes: [Yerres]", "communes: [Yerres"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert f"{path}, ligne" in caught.value.problems[0]
    assert "YAML invalide" in caught.value.problems[0]


def test_first_action_must_activate_the_cod(tmp_path: Path) -> None:
    text = VALID.replace(
        '  - {at: "+00:05", do: activate_cod, by: Préfet}',
        '  - {at: "+00:02", do: declare_cell_operational}\n  - {at: "+00:05", do: activate_cod}',
    )
    with pytest.raises(ScenarioError, match="activate_cod"):
        load_scenario(write(tmp_path, text))
