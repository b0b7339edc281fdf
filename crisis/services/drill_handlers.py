"""Drills: the injects a scenario plays are journalled on the exercise's stream."""

from __future__ import annotations

from crisis.domain.commands import PlayInject
from crisis.domain.errors import Conflict
from crisis.domain.events import InjectPlayed
from crisis.services.context import HandlerContext, Outcome


def play_inject(cmd: PlayInject, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    if not crisis.exercise:
        raise Conflict("Un inject d'exercice ne peut pas être joué sur un événement réel.")
    ctx.touched.append(crisis)
    crisis.record_event(
        InjectPlayed(
            crisis_id=crisis.id,
            offset_minutes=cmd.offset_minutes,
            sender=cmd.sender,
            to=cmd.to,
            channel=cmd.channel,
            content=cmd.content,
            expected_action=cmd.expected_action,
            target_at=cmd.target_at,
        )
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)
