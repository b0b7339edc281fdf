"""The likely-duplicate rule of an event being opened (crisis.domain.duplicates)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisis.domain.crisis import Crisis
from crisis.domain.duplicates import (
    Candidate,
    likely_duplicates,
    significant_words,
    similar_titles,
)
from crisis.domain.vocabulary import CrisisKind

NOW = datetime(2026, 12, 6, 19, 20, tzinfo=UTC)


def _open(
    title: str,
    kind: CrisisKind = CrisisKind.INONDATION,
    *,
    hours_ago: float = 1,
    exercise: bool = False,
    crisis_id: str = "c1",
) -> Crisis:
    at = NOW - timedelta(hours=hours_ago)
    crisis = Crisis.open(
        crisis_id=crisis_id,
        title=title,
        kind=kind,
        communes=(),
        reported_at=at,
        exercise=exercise,
        by="Claire Martin",
        now=at,
    )
    crisis.events.clear()
    return crisis


def _matches(candidate: Candidate, *crises: Crisis) -> list[str]:
    return [m.crisis_id for m in likely_duplicates(candidate, crises, now=NOW)]


def test_the_significant_words_leave_out_accents_case_and_small_words() -> None:
    assert significant_words("Crue de la Seine à Corbeil-Essonnes") == {
        "crue",
        "seine",
        "corbeil",
        "essonnes",
    }
    assert significant_words("Événement : l'A6 fermée") == {"a6", "fermee"}


@pytest.mark.parametrize(
    ("first", "second", "similar"),
    [
        ("Crue de la Seine", "crue Seine", True),
        ("Crue de la Seine à Corbeil", "Crue de la Seine", True),
        ("Incendie usine Seveso Grigny", "Incendie de l'usine de Grigny", True),
        ("Crue de la Seine", "Crue de l'Orge", False),  # one word of two in common
        ("Tempête Ciaran", "Canicule", False),
        ("de la", "de la", False),  # no significant word: nothing to compare
    ],
)
def test_similar_titles(first: str, second: str, similar: bool) -> None:
    assert similar_titles(first, second) is similar
    assert similar_titles(second, first) is similar


def test_an_open_event_of_the_same_kind_is_a_likely_duplicate_whatever_its_title() -> None:
    found = likely_duplicates(
        Candidate("Routes inondées à Massy", CrisisKind.INONDATION, exercise=False),
        [_open("Crue de l'Orge")],
        now=NOW,
    )
    assert [(m.crisis_id, m.same_kind, m.similar_title) for m in found] == [("c1", True, False)]
    assert found[0].reason == "même nature d'événement"


def test_a_similar_title_of_another_kind_is_a_likely_duplicate() -> None:
    found = likely_duplicates(
        Candidate("Crue de l'Orge à Juvisy", CrisisKind.AUTRE, exercise=False),
        [_open("Crue de l'Orge", CrisisKind.TEMPETE)],
        now=NOW,
    )
    assert found[0].reason == "titre proche"


def test_kind_other_alone_says_nothing() -> None:
    candidate = Candidate("Coupure d'électricité", CrisisKind.AUTRE, exercise=False)
    assert _matches(candidate, _open("Rupture de canalisation", CrisisKind.AUTRE)) == []


def test_closed_old_or_other_nature_events_are_not_duplicates() -> None:
    candidate = Candidate("Crue de l'Orge", CrisisKind.INONDATION, exercise=False)
    closed = _open("Crue de l'Orge", crisis_id="closed")
    closed.close(at=NOW, by="Claire Martin", reason="décrue", now=NOW)
    old = _open("Crue de l'Orge", hours_ago=24.5, crisis_id="old")
    drill = _open("Crue de l'Orge", exercise=True, crisis_id="drill")
    recent = _open("Crue de l'Orge", hours_ago=23.5, crisis_id="recent")
    assert _matches(candidate, closed, old, drill, recent) == ["recent"]
    # An exercise is compared with the exercises only.
    assert _matches(Candidate("Crue", CrisisKind.INONDATION, exercise=True), drill, recent) == [
        "drill"
    ]


def test_the_most_recent_comes_first_and_the_window_is_a_setting() -> None:
    candidate = Candidate("Crue", CrisisKind.INONDATION, exercise=False)
    older = _open("Crue de l'Orge", hours_ago=5, crisis_id="older")
    newer = _open("Crue de la Seine", hours_ago=1, crisis_id="newer")
    assert _matches(candidate, older, newer) == ["newer", "older"]
    narrow = likely_duplicates(candidate, [older, newer], now=NOW, window=timedelta(hours=2))
    assert [m.crisis_id for m in narrow] == ["newer"]
