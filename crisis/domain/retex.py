"""The retour d'expérience (RETEX) of a closed event or exercise, and its corrective actions.

The RETEX lives in the event's journal stream only: each recording is a whole new version
(`RetexRecorded`), each change of an action's state a `RetexActionUpdated`; the current RETEX
is the fold of those entries (crisis.services.retex_views).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from crisis.domain.commands import Command
from crisis.domain.events import Event
from crisis.domain.vocabulary import ActionState as ActionState

MAX_TEXT_LENGTH = 4000
MAX_ACTIONS = 50
MAX_FIELD_LENGTH = 200


ACTION_STATE_LABELS: dict[ActionState, str] = {
    ActionState.TODO: "à faire",
    ActionState.DOING: "en cours",
    ActionState.DONE: "faite",
}


@dataclass(frozen=True, slots=True)
class CorrectiveActionInput:
    """An action as the cell writes it; without `action_id`, a new action."""

    description: str
    owner: str
    due_date: date
    state: ActionState = ActionState.TODO
    action_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordRetex(Command):
    """Record the RETEX of a closed event, or replace it with an edited version."""

    crisis_id: str
    worked: str
    did_not_work: str
    actions: tuple[CorrectiveActionInput, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateRetexAction(Command):
    crisis_id: str
    action_id: str
    state: ActionState


@dataclass(frozen=True, slots=True)
class CorrectiveAction:
    action_id: str
    description: str
    owner: str
    due_date: date
    state: ActionState
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class RetexRecorded(Event):
    version: int
    worked: str
    did_not_work: str
    actions: tuple[CorrectiveAction, ...]
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class RetexActionUpdated(Event):
    action_id: str
    state: ActionState
    previous_state: ActionState
    done_at: datetime | None
    updated_by: str
    updated_at: datetime
