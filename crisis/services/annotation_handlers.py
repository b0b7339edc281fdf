"""Annotating an instant of an event for its RETEX: journalled, never part of its state."""

from __future__ import annotations

from crisis.domain.annotations import MAX_ANNOTATION_LENGTH, AnnotateInstant, ReplayAnnotated
from crisis.domain.errors import InvalidInput
from crisis.services.context import HandlerContext, Outcome
from crisis.services.retex_views import current_retex


def annotate_instant(cmd: AnnotateInstant, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    text = cmd.text.strip()
    if not text:
        raise InvalidInput("text", "Écrivez la remarque à attacher à cet instant.")
    if len(text) > MAX_ANNOTATION_LENGTH:
        raise InvalidInput("text", f"{MAX_ANNOTATION_LENGTH} caractères au plus.")
    if cmd.at.tzinfo is None:
        raise InvalidInput("at", "L'instant doit porter son fuseau horaire.")
    if cmd.at < crisis.created_at or cmd.at > ctx.now:
        raise InvalidInput(
            "at", "L'instant annoté doit se trouver entre l'ouverture de l'événement et maintenant."
        )
    action_id = (cmd.action_id or "").strip() or None
    if action_id is not None:
        retex = current_retex(crisis.id, ctx.uow.journal.iter_entries(crisis.id))
        if retex is None or all(a.action_id != action_id for a in retex.actions):
            raise InvalidInput(
                "action_id", "Cette action corrective n'existe pas dans le RETEX de l'événement."
            )
    annotation_id = ctx.new_id()
    crisis.record_event(
        ReplayAnnotated(
            crisis_id=crisis.id,
            annotation_id=annotation_id,
            at=cmd.at,
            text=text,
            action_id=action_id,
            written_by=ctx.actor.name,
        )
    )
    ctx.touched.append(crisis)
    ctx.uow.crises.save(crisis)
    return Outcome(result=annotation_id, stream=crisis.id)
