"""A refused form's errors, by field: every one of them, for the fields and the summary."""

from __future__ import annotations

import contextlib

from crisis.domain.commands import Command
from crisis.domain.contacts import InvalidContacts
from crisis.domain.errors import Conflict, FieldCheck, InvalidFields, InvalidInput
from crisis.services.bus import MessageBus
from crisis.services.context import Actor


def field_errors(error: InvalidInput) -> dict[str, str]:
    """Field → French reason, for every field the service layer refused."""
    if isinstance(error, InvalidFields):
        return dict(error.fields)
    if isinstance(error, InvalidContacts):
        found: dict[str, str] = {}
        for problem in error.problems:
            reason = problem.reason[:1].upper() + problem.reason[1:] + "."
            found[problem.field] = (
                f"{found[problem.field]} {reason}" if problem.field in found else reason
            )
        return found
    return {error.field: error.message}


def refuse_with_the_rest(
    check: FieldCheck, bus: MessageBus, command: Command, actor: Actor
) -> None:
    """When the form could not read some field, raise InvalidFields with those problems and
    the service layer's own, found by rehearsing the command (nothing kept): every problem
    in one answer. Nothing happens when the form read every field."""
    if not check.fields:
        return
    with contextlib.suppress(Conflict):  # the fields come first; a conflict can wait
        check.read(lambda: bus.rehearse(command, actor=actor))
    check.done()
