"""Pydantic's errors in French: every error type, the accepted values « 'a' ou 'b' », and the
same translation for API bodies, settings, channel files, scenarios and template manifests."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError
from pydantic_core.core_schema import ErrorType

from crisis.domain.vocabulary import CrisisKind
from crisis.settings import SettingsError, load_settings
from crisis.validation import REASONS, french_choices, french_reason
from drills.model import ScenarioError, load_scenario, load_scenario_text

ENGLISH = re.compile(r"\b(Input|should|must|valid|Field|required|or|least|most|characters)\b")


def test_every_pydantic_error_type_has_a_french_reason() -> None:
    assert set(typing.get_args(ErrorType)) <= set(REASONS)
    for kind, reason in REASONS.items():
        assert not ENGLISH.search(reason), (kind, reason)


def test_an_unknown_kind_names_the_accepted_values_in_french() -> None:
    class Body(BaseModel):
        kind: CrisisKind
        title: str = Field(min_length=1, max_length=5)
        count: int = Field(ge=1)

    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"kind": "seisme", "title": "", "count": 0})
    reasons = {str(e["loc"][0]): french_reason(e) for e in caught.value.errors()}
    assert reasons["kind"].startswith("valeur inconnue ; valeurs possibles : 'inondation', ")
    assert "'attentat' ou 'autre' ; reçu « seisme »" in reasons["kind"]
    assert reasons["title"] == "ne doit pas être vide"
    assert reasons["count"] == "doit être au moins 1"
    for reason in reasons.values():
        assert not ENGLISH.search(reason), reason


def test_choices_read_the_french_way() -> None:
    assert french_choices("'attentat' or 'autre'") == "'attentat' ou 'autre'"
    assert french_choices("'a', 'b' or 'c'") == "'a', 'b' ou 'c'"


def test_a_misspelled_scenario_action_is_answered_in_french(tmp_path: Path) -> None:
    scenario = tmp_path / "faute.yaml"
    bundled = Path(__file__).parents[3] / "drills" / "scenarios" / "crue-seine.yaml"
    scenario.write_text(
        bundled.read_text("utf-8").replace("do: activate_cod", "do: activer_cod", 1), "utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario)
    (problem,) = caught.value.problems
    assert ", ligne " in problem and ".do : valeur inconnue ; valeurs possibles : " in problem
    assert " ou 'close' ; reçu « activer_cod »" in problem
    assert "Input should" not in problem


def test_a_wrong_setting_names_its_variable_in_french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRISIS_CELL_TARGET_MINUTES", "soixante")
    monkeypatch.setenv("CRISIS_APPROVAL_AUDIENCES", '["presse"]')
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "CRISIS_CELL_TARGET_MINUTES : nombre entier attendu" in message
    assert "CRISIS_APPROVAL_AUDIENCES[0] : valeur inconnue" in message
    assert "'public' ou 'media'" in message


@pytest.mark.parametrize("field", ["objectives", "commitments", "participants", "injects"])
def test_an_empty_required_list_of_a_scenario_is_said_in_french(field: str) -> None:
    """« List should have at least 1 item » never reaches a person: file and database alike."""
    bundled = Path(__file__).parents[3] / "drills" / "scenarios" / "crue-seine.yaml"
    source = re.sub(
        rf"\n{field}:(?: \[[^\n]*\]\n|\n(?:  [^\n]*\n)+)", f"\n{field}: []\n", bundled.read_text()
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(source, Path("depose.yaml"))
    (problem,) = caught.value.problems
    assert problem.startswith("depose.yaml, ligne ")
    assert problem.endswith(f", champ {field} : ne doit pas être vide")
    assert not ENGLISH.search(problem.split(" : ", 1)[1]), problem


def test_a_list_too_short_says_how_many_in_french() -> None:
    class Body(BaseModel):
        items: list[int] = Field(min_length=2)

    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"items": [1]})
    assert french_reason(caught.value.errors()[0]) == "au moins 2 élément(s) attendu(s)"
