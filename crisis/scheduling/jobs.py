"""Scheduled jobs, referenced by name from the persistent job store.

A job holds no logic: it posts a command (`CheckDeadlines`, `RunDueDrills`…) to the bus
installed by the composition root.
"""

from __future__ import annotations

from crisis.domain.commands import CheckDeadlines
from crisis.domain.oncall import CheckCallouts
from crisis.domain.programme import NotifyDrillParticipants, RunDueDrills
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR

_bus: MessageBus | None = None


def install(bus: MessageBus | None) -> None:
    global _bus
    _bus = bus


def check_deadlines(crisis_id: str | None = None) -> None:
    if _bus is None:
        raise RuntimeError("no message bus installed for scheduled jobs")
    _bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR)


def check_callouts(crisis_id: str | None = None) -> None:
    if _bus is None:
        raise RuntimeError("no message bus installed for scheduled jobs")
    _bus.handle(CheckCallouts(crisis_id=crisis_id), actor=SYSTEM_ACTOR)


def notify_drill_participants() -> None:
    if _bus is None:
        raise RuntimeError("no message bus installed for scheduled jobs")
    _bus.handle(NotifyDrillParticipants(), actor=SYSTEM_ACTOR)


def run_due_drills() -> None:
    """Post `RunDueDrills`; the bus's after-commit hook plays what it claimed."""
    if _bus is None:
        raise RuntimeError("no message bus installed for scheduled jobs")
    _bus.handle(RunDueDrills(), actor=SYSTEM_ACTOR)
