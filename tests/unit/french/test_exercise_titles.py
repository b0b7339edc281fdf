"""« Exercice » once in what people read of a drill: calendar entries, notices, page titles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crisis.domain.programme import DrillMode, DrillRun, DrillSchedule, RunState
from crisis.exercise_titles import exercise_title, without_exercise_word
from crisis.services.programme_handlers import notice_text
from crisis.web.pages.exercices import PlayedRun

AT = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("title", "titled"),
    [
        ("Exercice — crue de la Seine", "Exercice — crue de la Seine"),
        ("crue de la Seine", "Exercice — crue de la Seine"),
        ("EXERCICE – crue de la Seine", "Exercice — crue de la Seine"),
        ("exercice : crue de la Seine", "Exercice — crue de la Seine"),
        ("Exercice trimestriel", "Exercice trimestriel"),
        ("Exercice — ", "Exercice — "),
        ("Exercices de l'année", "Exercice — Exercices de l'année"),
    ],
)
def test_a_title_says_exercice_once(title: str, titled: str) -> None:
    assert exercise_title(title) == titled


def test_a_marker_word_replaces_the_title_s_own() -> None:
    assert exercise_title("Exercice — crue", word="EXERCICE") == "EXERCICE — crue"
    assert exercise_title("crue", word="EXERCICE") == "EXERCICE — crue"
    assert without_exercise_word("Exercice — crue") == "crue"
    assert without_exercise_word("Crue de l'Orge") == "Crue de l'Orge"


def _schedule() -> DrillSchedule:
    return DrillSchedule(
        id="s-1",
        name="exercice mensuel crue",
        scenario="crue-seine",
        scenario_title="Exercice — crue de la Seine à Corbeil-Essonnes",
        rule_kind="rrule",
        rule="FREQ=MONTHLY",
        starts_at=AT,
        notice_days=7,
        mode=DrillMode.UNATTENDED,
        created_by="Chloé Chef",
        created_at=AT,
    )


def test_the_notice_and_the_page_of_a_drill_say_exercice_once() -> None:
    text = notice_text(_schedule(), None, AT)
    assert text.startswith(
        "Exercice programmé : crue de la Seine à Corbeil-Essonnes (exercice mensuel crue)."
    )
    run = DrillRun(
        schedule_id="s-1",
        occurrence=AT,
        state=RunState.RUNNING,
        mode=DrillMode.UNATTENDED,
        started_at=AT,
    )
    assert PlayedRun(_schedule(), run).subject == "crue de la Seine à Corbeil-Essonnes"
