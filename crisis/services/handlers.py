"""The handlers of the event itself: open, activate the COD, declare the cell, record a
delivery, check the deadlines, close; and adding a user or setting a console password.

Handlers talk to the model and the repositories only; `crisis.services.registry` maps each
command to its handler.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from crisis.domain.commands import (
    ActivateCod,
    AddUser,
    CheckDeadlines,
    CloseCrisis,
    CodDecision,
    CorrectClock,
    DeclareCellOperational,
    OpenCrisis,
    RecordDelivery,
    SetPassword,
)
from crisis.domain.crisis import Crisis
from crisis.domain.duplicates import Candidate, LikelyDuplicate, likely_duplicates
from crisis.domain.errors import Conflict, FieldCheck, NotFound
from crisis.domain.signin_throttle import Scope, account_key
from crisis.domain.vocabulary import CrisisState
from crisis.services.account_handlers import checked_email, checked_role
from crisis.services.accounts import hash_password
from crisis.services.context import HandlerContext, Outcome
from crisis.store.journal import SYSTEM_STREAM

MAX_NAME_LENGTH = 120


def _activate(crisis: Crisis, decision: CodDecision, ctx: HandlerContext) -> None:
    crisis.activate_cod(
        decided_at=decision.decided_at or ctx.now,
        decided_by=decision.decided_by,
        synergi_ref=decision.synergi_ref,
        synergi_pattern=ctx.settings.synergi_pattern,
        recorded_by=ctx.actor.name,
        now=ctx.now,
        policy=ctx.settings.clock_policy,
    )


def _refuse_likely_duplicate(cmd: OpenCrisis, ctx: HandlerContext) -> None:
    """Raise LikelyDuplicate when an open event looks like this one (crisis.domain.duplicates).

    Openings wait for each other from here to their commit: of two submissions of the same
    event at the same instant, the second sees the first one's event.
    """
    ctx.uow.crises.lock_openings()
    window = timedelta(hours=ctx.settings.duplicate_window_hours)
    open_ones = ctx.uow.crises.find(
        states=[CrisisState.REPORTED, CrisisState.COD_ACTIVE],
        exercise=cmd.exercise,
        reported_from=ctx.now - window,
    )
    candidate = Candidate(title=cmd.title.strip(), kind=cmd.kind, exercise=cmd.exercise)
    matches = likely_duplicates(candidate, open_ones, now=ctx.now, window=window)
    if matches:
        raise LikelyDuplicate(matches, ctx.settings.duplicate_window_hours)


def open_crisis(cmd: OpenCrisis, ctx: HandlerContext) -> Outcome:
    if cmd.check_duplicates:
        _refuse_likely_duplicate(cmd, ctx)
    reported_at = cmd.reported_at or ctx.now
    if cmd.activation is not None and cmd.reported_at is None:
        # Opened and activated at once, for a decision taken minutes ago.
        reported_at = min(ctx.now, cmd.activation.decided_at or ctx.now)
    crisis = Crisis.open(
        crisis_id=ctx.new_id(),
        title=cmd.title,
        kind=cmd.kind,
        communes=cmd.communes,
        reported_at=reported_at,
        exercise=cmd.exercise,
        by=ctx.actor.name,
        now=ctx.now,
    )
    if cmd.activation is not None:
        _activate(crisis, cmd.activation, ctx)
    ctx.uow.crises.add(crisis)
    ctx.touched.append(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def activate_cod(cmd: ActivateCod, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    _activate(crisis, cmd.decision, ctx)
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def declare_cell_operational(cmd: DeclareCellOperational, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    crisis.declare_cell_operational(
        at=cmd.declared_at or ctx.now, by=ctx.actor.name, note=cmd.note.strip(), now=ctx.now
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def correct_clock(cmd: CorrectClock, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    crisis.correct_clock(
        clock=cmd.clock, met_at=cmd.met_at, reason=cmd.reason, by=ctx.actor.name, now=ctx.now
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def record_delivery(cmd: RecordDelivery, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    delivery_id = ctx.new_id()
    crisis.record_delivery(
        delivery_id=delivery_id,
        audience=cmd.audience,
        delivered_at=cmd.delivered_at,
        means=cmd.means,
        recipients=cmd.recipients,
        by=ctx.actor.name,
        now=ctx.now,
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=delivery_id, stream=crisis.id)


def check_deadlines(cmd: CheckDeadlines, ctx: HandlerContext) -> Outcome:
    """Raise every warning and breach that fell due; a no-op when nothing did."""
    ids = [cmd.crisis_id] if cmd.crisis_id else ctx.uow.crises.ids_with_running_clocks()
    raised = 0
    for crisis_id in ids:
        crisis = ctx.uow.crises.get(crisis_id, for_update=True)
        crisis.raise_due_alerts(now=ctx.now)
        if crisis.events:
            ctx.touched.append(crisis)
            ctx.uow.crises.save(crisis)
            raised += len(crisis.events)
    return Outcome(result=raised, stream=cmd.crisis_id or SYSTEM_STREAM)


def close_crisis(cmd: CloseCrisis, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    crisis.close(
        at=cmd.closed_at or ctx.now,
        by=ctx.actor.name,
        reason=cmd.reason,
        now=ctx.now,
        opened_by_mistake=cmd.opened_by_mistake,
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def add_user(cmd: AddUser, ctx: HandlerContext) -> Outcome:
    """Every field is checked before any is refused: the form shows all its problems."""
    check = FieldCheck()
    name = cmd.name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        check.add("name", f"Le nom doit compter de 1 à {MAX_NAME_LENGTH} caractères.")
    role = check.read(lambda: checked_role(cmd.role))
    email = check.read(lambda: checked_email(ctx.uow, cmd.email or "", conflict_field="email"))
    password = cmd.password
    password_hash = check.read(lambda: hash_password(password)) if password is not None else None
    if name and ctx.uow.users.by_name(name) is not None:
        if not check.fields:
            raise Conflict(f"Un utilisateur nommé « {name} » existe déjà.")
        check.add("name", f"Un utilisateur nommé « {name} » existe déjà.")
    check.done()
    assert role is not None
    token = secrets.token_urlsafe(32)
    user = ctx.uow.users.add(
        user_id=ctx.new_id(),
        name=name,
        role=role.value,
        token=token,
        now=ctx.now,
        password_hash=password_hash,
        email=email,
    )
    # The token goes back to the caller once; the journal only learns who was added.
    return Outcome(result={"user": user, "token": token}, stream=SYSTEM_STREAM)


def set_password(cmd: SetPassword, ctx: HandlerContext) -> Outcome:
    user = ctx.uow.users.by_name(cmd.name.strip())
    if user is None:
        raise NotFound(f"Aucun utilisateur ne s'appelle « {cmd.name.strip()} ».")
    ctx.uow.users.set_password(user.id, hash_password(cmd.password))
    # Whoever knew the former password is signed out; the delays of the name are lifted.
    ended = ctx.uow.sessions.remove_of_user(user.id, keep=cmd.keep_session)
    ctx.uow.signin_throttle.clear(Scope.ACCOUNT, account_key(user.name))
    return Outcome(result=user.name, stream=SYSTEM_STREAM, journal={"sessions_ended": ended})
