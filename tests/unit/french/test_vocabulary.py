"""One French label for every code a person might meet, in crisis.labels."""

from __future__ import annotations

from enum import StrEnum

import pytest

import crisis.bootstrap  # noqa: F401 - registers every command and event class
from channels.dispatcher import Outcome
from crisis.domain.commands import Command
from crisis.domain.contacts import Category
from crisis.domain.draft_commands import ApproveDraft
from crisis.domain.drafts import DraftState
from crisis.domain.events import Event
from crisis.domain.messages import ChannelName, MessagePurpose, MessageType
from crisis.domain.oncall import CellRole, OrderCip, Team
from crisis.domain.programme import DrillMode
from crisis.domain.retex import ActionState
from crisis.domain.vocabulary import Audience, ClockName, ClockState, CrisisKind, CrisisState
from crisis.french import decimal, duration, sentence
from crisis.labels import (
    ACTION_STATE_LABELS,
    AUDIENCE_LABELS,
    CATEGORY_LABELS,
    CELL_ROLE_LABELS,
    CHANNEL_LABELS,
    CLOCK_LABELS,
    CLOCK_SHORT_LABELS,
    CLOCK_STATE_LABELS,
    CRISIS_KIND_LABELS,
    CRISIS_STATE_LABELS,
    DELIVERY_OUTCOME_LABELS,
    DRAFT_STATE_LABELS,
    DRILL_MODE_LABELS,
    EVENT_LABELS,
    MESSAGE_TYPE_LABELS,
    PURPOSE_LABELS,
    TEAM_LABELS,
    USER_ROLE_LABELS,
    VARIABLE_TYPE_LABELS,
    VARIANT_LABELS,
)
from crisis.reporting.summary import journal_label
from crisis.services.registry import command_action, command_label, refusal
from crisis.services.roles import Role
from crisis.templating import VariableType, Variant


def subclass_names(root: type) -> set[str]:
    found: set[str] = set()
    subclasses: list[type] = root.__subclasses__()
    for sub in subclasses:
        found |= {sub.__name__} | subclass_names(sub)
    return found


def test_every_command_and_event_has_its_labels() -> None:
    commands, events = subclass_names(Command), subclass_names(Event)
    assert [c for c in commands if command_label(c) is None or command_action(c) is None] == []
    assert events - set(EVENT_LABELS) == set()


@pytest.mark.parametrize(
    ("enum", "labels"),
    [
        (Audience, AUDIENCE_LABELS),
        (ClockName, CLOCK_LABELS),
        (ClockName, CLOCK_SHORT_LABELS),
        (ClockState, CLOCK_STATE_LABELS),
        (CrisisKind, CRISIS_KIND_LABELS),
        (CrisisState, CRISIS_STATE_LABELS),
        (ChannelName, CHANNEL_LABELS),
        (MessagePurpose, PURPOSE_LABELS),
        (MessageType, MESSAGE_TYPE_LABELS),
        (CellRole, CELL_ROLE_LABELS),
        (Team, TEAM_LABELS),
        (DraftState, DRAFT_STATE_LABELS),
        (DrillMode, DRILL_MODE_LABELS),
        (Category, CATEGORY_LABELS),
        (Role, USER_ROLE_LABELS),
        (Outcome, DELIVERY_OUTCOME_LABELS),
        (ActionState, ACTION_STATE_LABELS),
        (VariableType, VARIABLE_TYPE_LABELS),
        (Variant, VARIANT_LABELS),
    ],
)
def test_every_code_of_an_enum_has_a_label(enum: type[StrEnum], labels: dict[str, str]) -> None:
    assert [m.value for m in enum if m not in labels] == []


def test_journal_kinds_read_in_french() -> None:
    assert journal_label("event.ClockWarning") == "Alerte d'échéance"
    assert journal_label("command.AcknowledgePage") == command_label("AcknowledgePage")
    assert journal_label("refused.ApproveDraft") == "Refus : valider un message"


def test_a_refusal_names_the_role_and_the_action() -> None:
    assert refusal("duty_officer", ApproveDraft) == (
        "Votre rôle (cadre de permanence) ne permet pas de valider un message."
    )
    assert refusal("duty_officer", OrderCip) == (
        "Votre rôle (cadre de permanence) ne permet pas d'ordonner l'activation de la CIP."
    )


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (125, "2 min 05 s"),
        (2040, "34 min"),
        (4320, "1 h 12 min"),
        (3600, "1 h"),
        (3900, "1 h 05 min"),
        (631.8, "10 min 32 s"),
        (-300, "−5 min"),
    ],
)
def test_durations_as_a_person_says_them(seconds: float, said: str) -> None:
    assert duration(seconds) == said


def test_numbers_and_sentences() -> None:
    assert decimal(10.53) == "10,53"
    assert decimal(3.0) == "3"
    assert sentence("au plus 3.") == "au plus 3."
    assert sentence("Événement : Crue") == "Événement : Crue."
