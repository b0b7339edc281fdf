"""Remarks for the RETEX attached to an instant of an event, journalled on its stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crisis.domain.commands import Command
from crisis.domain.events import Event

MAX_ANNOTATION_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class AnnotateInstant(Command):
    """« Ici le préfet était en réunion de crise, injoignable »: written at `at` of the
    event's replay, optionally tied to a corrective action of its RETEX."""

    crisis_id: str
    at: datetime
    text: str
    action_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReplayAnnotated(Event):
    annotation_id: str
    at: datetime
    text: str
    action_id: str | None
    written_by: str
