"""Recording the RETEX of a closed event and moving its corrective actions along."""

from __future__ import annotations

from datetime import datetime

from crisis.domain.crisis import Crisis
from crisis.domain.era import check_day
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.retex import (
    MAX_ACTIONS,
    MAX_FIELD_LENGTH,
    MAX_TEXT_LENGTH,
    ActionState,
    CorrectiveAction,
    RecordRetex,
    RetexActionUpdated,
    RetexRecorded,
    UpdateRetexAction,
)
from crisis.domain.vocabulary import CrisisState
from crisis.services.context import HandlerContext, Outcome
from crisis.services.retex_views import ActionView, RetexView, current_retex


def _closed_crisis(ctx: HandlerContext, crisis_id: str) -> Crisis:
    crisis = ctx.uow.crises.get(crisis_id, for_update=True)
    if crisis.state is not CrisisState.CLOSED:
        raise Conflict(
            "Cet événement n'est pas clos : le retour d'expérience se rédige après la clôture."
        )
    return crisis


def _text(value: str, field: str, *, limit: int, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(field, "Ce champ est obligatoire.")
    if len(text) > limit:
        raise InvalidInput(field, f"{limit} caractères au plus.")
    return text


def _done_at(state: ActionState, previous: ActionView | None, now: datetime) -> datetime | None:
    if state is not ActionState.DONE:
        return None
    if previous is not None and previous.done_at is not None:
        return previous.done_at
    return now


def record_retex(cmd: RecordRetex, ctx: HandlerContext) -> Outcome:
    crisis = _closed_crisis(ctx, cmd.crisis_id)
    worked = _text(cmd.worked, "worked", limit=MAX_TEXT_LENGTH, required=False)
    did_not_work = _text(cmd.did_not_work, "did_not_work", limit=MAX_TEXT_LENGTH, required=False)
    if not worked and not did_not_work and not cmd.actions:
        raise InvalidInput("worked", "Le retour d'expérience est vide.")
    if len(cmd.actions) > MAX_ACTIONS:
        raise InvalidInput("actions", f"{MAX_ACTIONS} actions correctives au plus.")
    previous = current_retex(crisis.id, ctx.uow.journal.entries(crisis.id))
    known = {a.action_id: a for a in previous.actions} if previous else {}
    actions: list[CorrectiveAction] = []
    for index, item in enumerate(cmd.actions):
        field = f"actions[{index}]"
        if item.action_id is not None and item.action_id not in known:
            raise InvalidInput(f"{field}.action_id", "Action corrective inconnue.")
        try:
            state = ActionState(item.state)
        except ValueError:
            raise InvalidInput(
                f"{field}.state", "État inconnu : a_faire, en_cours ou faite."
            ) from None
        actions.append(
            CorrectiveAction(
                action_id=item.action_id or ctx.new_id(),
                description=_text(
                    item.description, f"{field}.description", limit=MAX_TEXT_LENGTH, required=True
                ),
                owner=_text(item.owner, f"{field}.owner", limit=MAX_FIELD_LENGTH, required=True),
                due_date=check_day(f"{field}.due_date", item.due_date),
                state=state,
                done_at=_done_at(state, known.get(item.action_id or ""), ctx.now),
            )
        )
    crisis.events.append(
        RetexRecorded(
            crisis_id=crisis.id,
            version=(previous.version + 1) if previous else 1,
            worked=worked,
            did_not_work=did_not_work,
            actions=tuple(actions),
            recorded_by=ctx.actor.name,
            recorded_at=ctx.now,
        )
    )
    ctx.touched.append(crisis)
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def update_retex_action(cmd: UpdateRetexAction, ctx: HandlerContext) -> Outcome:
    crisis = _closed_crisis(ctx, cmd.crisis_id)
    try:
        state = ActionState(cmd.state)
    except ValueError:
        raise InvalidInput("state", "État inconnu : a_faire, en_cours ou faite.") from None
    retex: RetexView | None = current_retex(crisis.id, ctx.uow.journal.entries(crisis.id))
    action = (
        next((a for a in retex.actions if a.action_id == cmd.action_id), None) if retex else None
    )
    if action is None:
        raise NotFound(
            "Aucune action corrective de ce retour d'expérience ne porte cet identifiant."
        )
    crisis.events.append(
        RetexActionUpdated(
            crisis_id=crisis.id,
            action_id=action.action_id,
            state=state,
            previous_state=ActionState(action.state),
            done_at=_done_at(state, action, ctx.now),
            updated_by=ctx.actor.name,
            updated_at=ctx.now,
        )
    )
    ctx.touched.append(crisis)
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)
