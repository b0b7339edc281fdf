"""Callouts of the cell on call: paging each role, acknowledgements, the quorum, escalation
and the relèves of the rota.

Timing works like the clocks: each round of a role stores the absolute instant at which it
is over; `CheckCallouts` (posted by the scheduler at that instant and by the periodic sweep)
escalates what fell due. The primary key of `callout_rounds` makes each escalation, and the
duty officer's alert, happen once. A quorum reached is the event `QuorumReached`: the cell's
declares the cell operational here, the CIP's is handled by `cip_handlers.on_quorum_reached`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from channels.contract import Channel
from crisis.delivery.planning import PlannedDelivery
from crisis.domain.contacts import (
    fold,
)
from crisis.domain.crisis import Crisis
from crisis.domain.errors import Conflict
from crisis.domain.events import CodActivated
from crisis.domain.messages import ChannelName, MessagePurpose
from crisis.domain.oncall import (
    CELL_ROLE_LABELS,
    TEAM_LABELS,
    TEAM_ROLES,
    CalloutEscalated,
    CalloutOfficerAlerted,
    CalloutRoundCalls,
    CalloutStarted,
    CellRole,
    CheckCallouts,
    Member,
    MemberPaged,
    QuorumReached,
    RoleUnstaffed,
    ShiftHandedOver,
    StartCallout,
    Team,
    parse_quorum,
)
from crisis.domain.vocabulary import ClockName, CrisisState
from crisis.french import long_datetime, sentence
from crisis.services.alert_handlers import raise_internal_alert, write_own_message
from crisis.services.approval_calls import check_approval_calls
from crisis.services.callout_methods import method_deliveries
from crisis.services.callout_texts import ack_link, page_texts, sms_keep
from crisis.services.context import HandlerContext, Outcome
from crisis.store.callout_repository import Callout, Page, Round
from crisis.store.journal import SYSTEM_STREAM

SYSTEM_NAME = "système"


# -- paging ---------------------------------------------------------------------------------


def _quorum(ctx: HandlerContext, team: Team) -> tuple[CellRole, ...]:
    names = ctx.settings.cell_quorum if team is Team.CELL else ctx.settings.cip_quorum
    return parse_quorum(list(names), team=team)


def begin_callout(ctx: HandlerContext, crisis: Crisis, team: Team, *, reason: str) -> bool:
    """Page every role of the team; False when the roster is empty."""
    existing = ctx.uow.oncall.callout_of(crisis.id, team)
    if existing is not None:
        raise Conflict(
            f"L'appel de la {TEAM_LABELS[team]} est déjà lancé pour cet événement "
            f"(depuis le {long_datetime(existing.started_at)})."
        )
    if crisis.state is not CrisisState.COD_ACTIVE:
        raise Conflict(
            "Le COD n'est pas activé pour cet événement (ou l'événement est clos) : "
            "l'appel de l'astreinte suit l'activation."
        )
    if ctx.uow.oncall.member_count() == 0:
        # No rota at all: the service is used without the on-call feature. Nothing to page,
        # nothing journalled (an ordered callout is refused by its caller).
        return False
    callout = Callout(
        id=ctx.new_id(),
        crisis_id=crisis.id,
        team=team,
        started_at=ctx.now,
        started_by=ctx.actor.name,
        reason=reason,
        quorum=_quorum(ctx, team),
        ack_minutes=ctx.settings.callout_ack_minutes,
        escalations=ctx.settings.callout_escalations,
        quorum_reached_at=None,
    )
    ctx.uow.oncall.add_callout(callout)
    crisis.record_event(
        CalloutStarted(
            crisis_id=crisis.id,
            callout_id=callout.id,
            team=team.value,
            reason=reason,
            roles=tuple(r.value for r in TEAM_ROLES[team]),
            quorum=tuple(r.value for r in callout.quorum),
            ack_minutes=callout.ack_minutes,
            escalations=callout.escalations,
        )
    )
    for role in TEAM_ROLES[team]:
        paged = _page_round(ctx, crisis, callout, role, 0)
        if not paged and (callout.escalations == 0 or not _candidates(ctx, callout, role, 1)):
            _alert_officer(ctx, crisis, callout, role, rounds=1, due_at=ctx.now, exhausted=True)
    return True


def _candidates(
    ctx: HandlerContext, callout: Callout, role: CellRole, round_no: int
) -> list[Member]:
    repo = ctx.uow.oncall
    if round_no == 0:
        shifts = repo.on_call(ctx.now, role)
        ids = list(dict.fromkeys(s.member_id for s in shifts))
        return [m for m in (repo.member(i) for i in ids) if m is not None]
    paged = {p.member_id for p in repo.pages_of(callout.id) if p.role is role}
    # The rota's next candidates for the role, then the configured backups.
    for shift in repo.next_shifts(role, ctx.now):
        if shift.member_id not in paged:
            member = repo.member(shift.member_id)
            if member is not None:
                return [member]
    for name in ctx.settings.oncall_backups.get(role.value, []):
        member = repo.member_by_key(fold(name))
        if member is not None and member.id not in paged:
            return [member]
    return []


def _page_round(
    ctx: HandlerContext, crisis: Crisis, callout: Callout, role: CellRole, round_no: int
) -> list[Member]:
    due = ctx.now + timedelta(minutes=callout.ack_minutes)
    ctx.uow.oncall.add_round(Round(callout.id, role, round_no, "page", ctx.now, due))
    members = _candidates(ctx, callout, role, round_no)
    if not members:
        crisis.record_event(
            RoleUnstaffed(
                crisis_id=crisis.id,
                callout_id=callout.id,
                role=role.value,
                round=round_no,
                ack_due_at=due,
            )
        )
    for member in members:
        _page(ctx, crisis, callout, role, round_no, member, due)
    return members


def _page(
    ctx: HandlerContext,
    crisis: Crisis,
    callout: Callout,
    role: CellRole,
    round_no: int,
    member: Member,
    due: datetime,
) -> None:
    page_id = ctx.new_id()
    message_id: str | None = None
    channels: tuple[str, ...] = ()
    link_expires_at: datetime | None = None
    if ctx.catalog is not None:
        available = ctx.catalog.channels(exercise=crisis.exercise)
        rows = page_deliveries(ctx, member, available)
        if rows:
            link = ack_link(ctx)
            if link is not None:
                link_expires_at = ctx.now + timedelta(minutes=ctx.settings.ack_link_minutes)
            message_id = write_own_message(
                ctx,
                crisis,
                rows,
                purpose=MessagePurpose.CALLOUT,
                variants=page_texts(ctx, crisis, callout, role, link),
                keep=sms_keep(ctx, link),
            )
            channels = tuple(r.channel for r in rows)
    ctx.uow.oncall.add_page(
        Page(
            id=page_id,
            callout_id=callout.id,
            crisis_id=crisis.id,
            role=role,
            round=round_no,
            member_id=member.id,
            message_id=message_id,
            paged_at=ctx.now,
            acknowledged_at=None,
            ack_via=None,
            link_expires_at=link_expires_at,
        )
    )
    crisis.record_event(
        MemberPaged(
            crisis_id=crisis.id,
            callout_id=callout.id,
            page_id=page_id,
            message_id=message_id,
            role=role.value,
            member_id=member.id,
            member_name=member.name,
            round=round_no,
            channels=channels,
            ack_due_at=due,
        )
    )


def page_deliveries(
    ctx: HandlerContext, member: Member, available: Mapping[str, Channel]
) -> list[PlannedDelivery]:
    """The member's contact methods in the configured order, each after its delay."""
    return method_deliveries(ctx, member.name, ctx.uow.oncall.addresses(member), available)


def start_callout(cmd: StartCallout, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    if not begin_callout(ctx, crisis, cmd.team, reason=cmd.reason.strip() or "sur ordre"):
        raise Conflict(
            "Aucun membre d'astreinte n'est enregistré : importez d'abord le tableau "
            "d'astreinte (crisis oncall import)."
        )
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def on_cod_activated(event: object, ctx: HandlerContext) -> None:
    """Subscribed to CodActivated: page the cell at once, unless the setting says no."""
    assert isinstance(event, CodActivated)
    if not ctx.settings.callout_on_activation:
        return
    crisis = next(c for c in ctx.touched if c.id == event.crisis_id)
    begin_callout(ctx, crisis, Team.CELL, reason="activation du COD")


# -- the quorum (the acknowledgements themselves: crisis.services.ack_handlers) -----------


def check_quorum(ctx: HandlerContext, crisis: Crisis, callout: Callout) -> None:
    if not callout.quorum or crisis.state is not CrisisState.COD_ACTIVE:
        return
    instants = ctx.uow.oncall.role_acknowledged_instants(callout.id)
    if not all(role in instants for role in callout.quorum):
        return
    reached = max(instants[role] for role in callout.quorum)
    if not ctx.uow.oncall.mark_quorum_reached(callout.id, reached):
        return
    for page in ctx.uow.oncall.pages_of(callout.id):
        if page.message_id is not None:
            # The call-out is over: calls not placed yet (or waiting to ring again) are not.
            ctx.uow.outbox.cancel_pending(
                page.message_id,
                channel=ChannelName.VOICE.value,
                now=ctx.now,
                reason="quorum atteint avant l'appel",
            )
    crisis.record_event(
        QuorumReached(
            crisis_id=crisis.id,
            callout_id=callout.id,
            team=callout.team.value,
            quorum=tuple(r.value for r in callout.quorum),
            reached_at=reached,
        )
    )
    # The CIP's own quorum is declared by the CIP handlers, subscribed to QuorumReached.
    if callout.team is Team.CELL and crisis.clocks[ClockName.CELL].met_at is None:
        crisis.declare_cell_operational(
            at=reached,
            by=SYSTEM_NAME,
            note=quorum_note(callout.quorum),
            now=ctx.now,
            met_by=quorum_met_by(callout.quorum),
        )


def quorum_note(quorum: Sequence[CellRole]) -> str:
    return "Quorum atteint : " + ", ".join(CELL_ROLE_LABELS[r] for r in quorum) + "."


def quorum_met_by(quorum: Sequence[CellRole]) -> str:
    """What met the clock: no person's declaration, the quorum of acknowledgements."""
    return "quorum atteint (" + ", ".join(CELL_ROLE_LABELS[r] for r in quorum) + ")"


# -- escalation and handovers ---------------------------------------------------------------


def check_callouts(cmd: CheckCallouts, ctx: HandlerContext) -> Outcome:
    repo = ctx.uow.oncall
    crises: dict[str, Crisis] = {}

    def crisis_of(crisis_id: str) -> Crisis:
        crisis = crises.get(crisis_id)
        if crisis is None:
            crisis = crises[crisis_id] = ctx.uow.crises.get(crisis_id, for_update=True)
        return crisis

    for due in repo.due_rounds(ctx.now, cmd.crisis_id):
        callout = repo.callout(due.callout_id)
        assert callout is not None
        crisis = crisis_of(callout.crisis_id)
        if crisis.state is not CrisisState.COD_ACTIVE:
            continue  # a closed event pages nobody any more
        escalate_round(ctx, crisis, callout, due)
    ids = [cmd.crisis_id] if cmd.crisis_id else repo.crises_with_callouts()
    for crisis_id in ids:
        for callout in repo.callouts_of(crisis_id):
            _handovers(ctx, crisis_of, callout)
    # The approvers of messages waiting for approval, called by the same sweep.
    check_approval_calls(ctx, crisis_of, cmd.crisis_id)
    for crisis in crises.values():
        if crisis.events:
            ctx.touched.append(crisis)
            ctx.uow.crises.save(crisis)
    return Outcome(
        result=sum(len(c.events) for c in crises.values()), stream=cmd.crisis_id or SYSTEM_STREAM
    )


def escalate_round(ctx: HandlerContext, crisis: Crisis, callout: Callout, due: Round) -> None:
    """A round unanswered at its due instant: the next one, or the duty officer's alert."""
    summarise_calls(ctx, crisis, callout, due.role, due.round)
    next_round = due.round + 1
    if due.round < callout.escalations:
        paged = _page_round(ctx, crisis, callout, due.role, next_round)
        crisis.record_event(
            CalloutEscalated(
                crisis_id=crisis.id,
                callout_id=callout.id,
                role=due.role.value,
                round=next_round,
                due_at=due.due_at,
                paged=tuple(m.name for m in paged),
            )
        )
        if not paged:
            # Nobody left on the rota or among the backups: waiting helps no one.
            _alert_officer(
                ctx,
                crisis,
                callout,
                due.role,
                rounds=next_round + 1,
                due_at=ctx.now,
                exhausted=True,
            )
        return
    _alert_officer(ctx, crisis, callout, due.role, rounds=next_round, due_at=due.due_at)


def escalate_now(ctx: HandlerContext, crisis: Crisis, callout: Callout, role: CellRole) -> bool:
    """A page declined: the role's round is over at once, unless the role is answered."""
    repo = ctx.uow.oncall
    if not repo.bring_round_forward(callout.id, role, ctx.now):
        return False
    for due in repo.due_rounds(ctx.now, crisis.id):
        if due.callout_id == callout.id and due.role is role:
            escalate_round(ctx, crisis, callout, due)
            return True
    return False


def summarise_calls(
    ctx: HandlerContext, crisis: Crisis, callout: Callout, role: CellRole, round_no: int
) -> None:
    """One journal entry for the calls of a round (the calls themselves are not journalled
    one by one): how many were placed, answered, acknowledged, declined, left a message."""
    messages = [
        p.message_id
        for p in ctx.uow.oncall.pages_of(callout.id)
        if p.role is role and p.round == round_no and p.message_id
    ]
    calls = ctx.uow.outbox.call_outcomes(messages, channel=ChannelName.VOICE.value)
    if not calls:
        return
    crisis.record_event(
        CalloutRoundCalls(
            crisis_id=crisis.id,
            callout_id=callout.id,
            role=role.value,
            round=round_no,
            calls=dict(sorted(calls.items())),
        )
    )


def _alert_officer(
    ctx: HandlerContext,
    crisis: Crisis,
    callout: Callout,
    role: CellRole,
    *,
    rounds: int,
    due_at: datetime,
    exhausted: bool = False,
) -> None:
    """Tell the duty officer that a role is unanswered, with how many people were paged;
    `exhausted`: at once, because nobody is left to page."""
    ctx.uow.oncall.add_round(Round(callout.id, role, rounds, "officer", ctx.now, due_at))
    paged = len(
        {
            p.member_id
            for p in ctx.uow.oncall.pages_of(callout.id)
            if p.role is role and p.message_id
        }
    )
    crisis.record_event(
        CalloutOfficerAlerted(
            crisis_id=crisis.id,
            callout_id=callout.id,
            role=role.value,
            due_at=due_at,
            rounds=rounds,
            paged=paged,
            exhausted=exhausted,
        )
    )
    label = CELL_ROLE_LABELS[role]
    why = (
        "plus personne à appeler sur le tableau ni en renfort"
        if exhausted
        else f"personne n'a accusé réception après {rounds} appel(s)"
    )
    raise_internal_alert(
        ctx,
        crisis,
        purpose=MessagePurpose.CLOCK_ALERT,
        subject=f"Astreinte sans réponse : {label}",
        text=(
            f"ASTREINTE SANS RÉPONSE – {TEAM_LABELS[callout.team]}, rôle {label} : {why} ; "
            f"{paged} personne(s) réellement appelée(s) depuis le "
            f"{long_datetime(callout.started_at)}. Trouvez un remplaçant. "
            + sentence(f"Événement : {crisis.title}")
        ),
    )


def _handovers(ctx: HandlerContext, get: Callable[[str], Crisis], callout: Callout) -> None:
    """Journal each relève of the team's rota since the callout, once."""
    repo = ctx.uow.oncall
    for role in TEAM_ROLES[callout.team]:
        for at in repo.shift_starts(role, callout.started_at, ctx.now):
            if repo.handover_recorded(callout.crisis_id, role, at):
                continue
            crisis = get(callout.crisis_id)
            if crisis.state is not CrisisState.COD_ACTIVE:
                return
            before = {s.member_id for s in repo.on_call(at - timedelta(microseconds=1), role)}
            after = {s.member_id for s in repo.on_call(at, role)}
            repo.add_handover(callout.crisis_id, role, at)
            crisis.record_event(
                ShiftHandedOver(
                    crisis_id=crisis.id,
                    role=role.value,
                    at=at,
                    from_members=_names(ctx, before - after),
                    to_members=_names(ctx, after - before),
                )
            )


def _names(ctx: HandlerContext, ids: set[str]) -> tuple[str, ...]:
    members = [ctx.uow.oncall.member(i) for i in ids]
    return tuple(sorted(m.name for m in members if m is not None))
