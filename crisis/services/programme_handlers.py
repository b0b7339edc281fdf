"""The exercise programme: entries, the due-drill and notice sweeps, the end of each run, and
the injects of a live drill.

Notices need an outbox row, and an outbox row needs an event: they are written to one
exercise container, « Programme d'exercices », opened once with a fixed identifier, never
activated (no clock), so that the channel layer's exercise lock and the EXERCICE marker apply
to them exactly as to any drill message. Each notice is also journalled on the `system` stream.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from crisis.delivery.planning import Plan, PlannedDelivery, person_deliveries
from crisis.domain.commands import PlayInject
from crisis.domain.contacts import Category
from crisis.domain.crisis import Crisis
from crisis.domain.era import check_instant
from crisis.domain.errors import Conflict, FieldCheck, InvalidInput, NotFound
from crisis.domain.messages import ChannelName, Message, MessagePurpose, MessageTexts, MessageType
from crisis.domain.programme import (
    DRILL_MODE_LABELS,
    ONE_OFF,
    ONE_OFF_NAME,
    AddDrillSchedule,
    DeliverInject,
    DrillClaim,
    DrillMode,
    DrillPlayRequested,
    DrillRunClaimed,
    DrillSchedule,
    NotifyDrillParticipants,
    PlayDrill,
    RecordDrillRun,
    RemoveDrillSchedule,
    RunDueDrills,
    RunState,
)
from crisis.domain.vocabulary import CrisisKind
from crisis.exercise_titles import without_exercise_word
from crisis.french import long_datetime
from crisis.services.context import HandlerContext, Outcome, catalog_of
from crisis.services.drill_handlers import play_inject
from crisis.services.message_handlers import write_message
from crisis.services.recurrence import Recurrence, RuleKind, parse_recurrence
from crisis.services.scenario_library import load_scenario_ref
from crisis.store.journal import SYSTEM_STREAM
from drills.model import Scenario

PROGRAMME_CRISIS_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "crisis-comm:programme-exercices"))
PROGRAMME_TITLE = "Programme d'exercices"
MAX_NAME_LENGTH = 200
MAX_NOTICE_DAYS = 365
# A sweep looks at this many occurrences of an entry at most (a long outage, a dense rule).
MAX_OCCURRENCES_PER_SWEEP = 500
NOTICE_CHANNELS = (ChannelName.EMAIL, ChannelName.TELEGRAM_DM, ChannelName.SMS)
INJECT_CHANNELS = {"email": ChannelName.EMAIL, "sms": ChannelName.SMS}
INJECT_CHANNELS |= {"telegram": ChannelName.TELEGRAM_DM, "telegram_dm": ChannelName.TELEGRAM_DM}


def recurrence_of(schedule: DrillSchedule) -> Recurrence:
    return Recurrence(RuleKind(schedule.rule_kind), schedule.rule, schedule.starts_at)


def occurrence_key(occurrence: datetime) -> str:
    """« 20261103T0900Z »: the folder and UID part of an occurrence."""
    return f"{occurrence:%Y%m%dT%H%M}Z"


def add_drill_schedule(cmd: AddDrillSchedule, ctx: HandlerContext) -> Outcome:
    """Every field is checked before any is refused: the form shows all its problems."""
    check = FieldCheck()
    name = cmd.name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        check.add("name", f"Le nom doit compter de 1 à {MAX_NAME_LENGTH} caractères.")
    if not 0 <= cmd.notice_days <= MAX_NOTICE_DAYS:
        check.add("notice_days", f"Le préavis se compte en jours, de 0 à {MAX_NOTICE_DAYS}.")
    mode = check.read(lambda: _mode(cmd.mode))
    scenario = check.read(lambda: load_scenario_ref(cmd.scenario, ctx.uow))
    starts_at = cmd.starts_at
    start = (
        ctx.now if starts_at is None else check.read(lambda: check_instant("starts_at", starts_at))
    )
    recurrence = check.read(
        lambda: parse_recurrence(rrule_text=cmd.rrule, cron_text=cmd.cron, start=start or ctx.now)
    )
    check.done()
    assert mode is not None and scenario is not None and recurrence is not None
    schedule = DrillSchedule(
        id=ctx.new_id(),
        name=name,
        scenario=cmd.scenario,
        scenario_title=scenario.title,
        rule_kind=recurrence.kind.value,
        rule=recurrence.text,
        starts_at=recurrence.start,
        notice_days=cmd.notice_days,
        mode=mode,
        created_by=ctx.actor.name,
        created_at=ctx.now,
    )
    ctx.uow.programme.add(schedule)
    # The rule as kept (standard cron since 0013): what the journal's readers evaluate.
    journal = {"schedule_id": schedule.id, "rule_kind": schedule.rule_kind, "rule": schedule.rule}
    return Outcome(result=schedule, stream=SYSTEM_STREAM, journal=journal)


def _mode(value: str) -> DrillMode:
    try:
        return DrillMode(value)
    except ValueError:
        raise InvalidInput("mode", "Mode inconnu : unattended ou live.") from None


def remove_drill_schedule(cmd: RemoveDrillSchedule, ctx: HandlerContext) -> Outcome:
    schedule = ctx.uow.programme.get(cmd.schedule_id)
    if schedule.rule_kind == ONE_OFF:
        raise NotFound("Un exercice joué à la demande n'est pas une entrée du programme.")
    if schedule.removed_at is not None:
        raise NotFound(f"L'exercice programmé « {schedule.name} » a déjà été retiré.")
    ctx.uow.programme.remove(schedule.id, by=ctx.actor.name, at=ctx.now)
    return Outcome(result=schedule.id, stream=SYSTEM_STREAM, journal={"name": schedule.name})


def _report_dir(ctx: HandlerContext, schedule_id: str, occurrence: datetime) -> str:
    folder = ctx.settings.data_dir / "drills" / schedule_id / occurrence_key(occurrence)
    return str(folder.resolve())


def _claim(ctx: HandlerContext, schedule: DrillSchedule, occurrence: datetime) -> DrillClaim:
    """The run of an occurrence, claimed once (its row's primary key) and journalled."""
    report_dir = _report_dir(ctx, schedule.id, occurrence)
    ctx.uow.programme.add_run(
        schedule_id=schedule.id,
        occurrence=occurrence,
        state=RunState.RUNNING,
        mode=schedule.mode,
        at=ctx.now,
        report_dir=report_dir,
    )
    ctx.uow.journal.append(
        stream=SYSTEM_STREAM,
        at=ctx.now,
        actor=ctx.actor.name,
        kind="event.DrillRunStarted",
        payload={
            "schedule_id": schedule.id,
            "name": schedule.name,
            "scenario": schedule.scenario,
            "mode": schedule.mode.value,
            "occurrence": occurrence.isoformat(),
            "report_dir": report_dir,
        },
    )
    return DrillClaim(schedule.id, occurrence, schedule.scenario, schedule.mode, report_dir)


def play_drill(cmd: PlayDrill, ctx: HandlerContext) -> Outcome:
    """A drill played now, unattended: an entry of its own outside the programme, its run
    claimed, journalled and recorded exactly as a programmed one's."""
    scenario = load_scenario_ref(cmd.scenario, ctx.uow)
    schedule = DrillSchedule(
        id=ctx.new_id(),
        name=ONE_OFF_NAME,
        scenario=cmd.scenario,
        scenario_title=scenario.title,
        rule_kind=ONE_OFF,
        rule=ctx.now.isoformat(),
        starts_at=ctx.now,
        notice_days=0,
        mode=DrillMode.UNATTENDED,
        created_by=ctx.actor.name,
        created_at=ctx.now,
    )
    ctx.uow.programme.add(schedule)
    claim = _claim(ctx, schedule, ctx.now)
    ctx.announced.append(DrillPlayRequested(crisis_id="", claim=claim))
    journal = {"schedule_id": schedule.id, "title": scenario.title}
    return Outcome(result=claim, stream=SYSTEM_STREAM, journal=journal)


def run_due_drills(cmd: RunDueDrills, ctx: HandlerContext) -> Outcome:
    """Claim each occurrence that fell due since the last one: the primary key of its run row
    makes the claim happen once, whatever the number of sweeps, processes or restarts."""
    claims: list[DrillClaim] = []
    missed: list[dict[str, str]] = []
    catchup = timedelta(minutes=ctx.settings.drill_catchup_minutes)
    for schedule in ctx.uow.programme.active():
        last = ctx.uow.programme.last_occurrence(schedule.id)
        # Only what fell due after the entry was created (or after its last run).
        after = max(last or schedule.created_at, schedule.created_at - timedelta(seconds=1))
        due = recurrence_of(schedule).between(after, ctx.now)
        for index, occurrence in enumerate(due):
            if index >= MAX_OCCURRENCES_PER_SWEEP:
                break
            if ctx.now - occurrence > catchup:
                ctx.uow.programme.add_run(
                    schedule_id=schedule.id,
                    occurrence=occurrence,
                    state=RunState.MISSED,
                    mode=schedule.mode,
                    at=ctx.now,
                )
                missed.append({"schedule_id": schedule.id, "occurrence": occurrence.isoformat()})
                ctx.uow.journal.append(
                    stream=SYSTEM_STREAM,
                    at=ctx.now,
                    actor=ctx.actor.name,
                    kind="event.DrillMissed",
                    payload={
                        "schedule_id": schedule.id,
                        "name": schedule.name,
                        "occurrence": occurrence.isoformat(),
                        "reason": "échu pendant un arrêt du service, au-delà du délai de reprise",
                    },
                )
                continue
            claim = _claim(ctx, schedule, occurrence)
            claims.append(claim)
            ctx.announced.append(DrillRunClaimed(crisis_id="", claim=claim))
    journal = {"started": len(claims), "missed": len(missed)} if claims or missed else None
    return Outcome(result=claims, stream=SYSTEM_STREAM, journal=journal)


def record_drill_run(cmd: RecordDrillRun, ctx: HandlerContext) -> Outcome:
    run = ctx.uow.programme.run(cmd.schedule_id, cmd.occurrence)
    if run is None:
        raise NotFound("Aucun exercice programmé n'a été lancé à cet instant.")
    if run.state is not RunState.RUNNING:
        raise Conflict("Le résultat de cet exercice programmé est déjà enregistré.")
    state = RunState.FAILED if cmd.error else RunState.DONE
    ctx.uow.programme.finish_run(
        schedule_id=cmd.schedule_id,
        occurrence=cmd.occurrence,
        state=state,
        at=ctx.now,
        report_dir=cmd.report_dir,
        verdict=cmd.verdict,
        error=cmd.error,
        crisis_id=cmd.crisis_id,
    )
    summary: dict[str, Any] = {"state": state.value, "started_at": run.started_at.isoformat()}
    return Outcome(result=state, stream=SYSTEM_STREAM, journal=summary)


def programme_container(ctx: HandlerContext) -> Crisis:
    """The exercise event that carries the programme's notices, opened on first use."""
    touched = next((c for c in ctx.touched if c.id == PROGRAMME_CRISIS_ID), None)
    if touched is not None:
        return touched
    try:
        return ctx.uow.crises.get(PROGRAMME_CRISIS_ID, for_update=True)
    except NotFound:
        pass
    crisis = Crisis.open(
        crisis_id=PROGRAMME_CRISIS_ID,
        title=PROGRAMME_TITLE,
        kind=CrisisKind.AUTRE,
        communes=(),
        reported_at=ctx.now,
        exercise=True,
        by=ctx.actor.name,
        now=ctx.now,
    )
    ctx.uow.crises.add(crisis)
    return crisis


def _notice_rows(ctx: HandlerContext, scenario: Scenario | None) -> list[PlannedDelivery]:
    """One row per person, on the first notice channel they can be reached on: the cell's
    contacts who take part in exercises, and the scenario's participants with an address."""
    available = catalog_of(ctx).channels(exercise=True)
    people: list[tuple[str, str, dict[str, str | None], str | None]] = [
        (
            "cellule",
            c.name,
            {"email": c.email, "mobile": c.mobile, "telegram_chat_id": c.telegram_chat_id},
            c.id,
        )
        for c in ctx.uow.contacts.recipients([Category.CELLULE], exercise=True)
    ]
    for participant in scenario.participants if scenario is not None else []:
        addresses = {
            "email": participant.email,
            "mobile": participant.mobile,
            "telegram_chat_id": participant.telegram_chat_id,
        }
        people.append(("participant", participant.name, addresses, None))
    rows: list[PlannedDelivery] = []
    seen: set[str] = set()
    for audience, name, addresses, contact_id in people:
        keys = {f"{k}:{str(v).casefold()}" for k, v in addresses.items() if v}
        if not keys or keys & seen:
            continue
        seen |= keys
        planned = person_deliveries(
            audience=audience,
            name=name,
            addresses=addresses,
            channels=NOTICE_CHANNELS,
            available=available,
            contact_id=contact_id,
        )
        rows.extend(planned[:1])
    return rows


def notice_text(schedule: DrillSchedule, scenario: Scenario | None, occurrence: datetime) -> str:
    lines = [
        f"Exercice programmé : {without_exercise_word(schedule.scenario_title)} ({schedule.name}).",
        f"Date : {long_datetime(occurrence)} (heure de Paris).",
        f"Mode : {DRILL_MODE_LABELS[schedule.mode]}.",
    ]
    if scenario is not None:
        minutes = int(scenario.duration.total_seconds() // 60)
        lines.append(f"Durée prévue : {minutes // 60} h {minutes % 60:02d}.")
        lines.append("Objectifs : " + " ; ".join(scenario.objectives) + ".")
    lines.append("Ceci est un exercice : aucune action réelle n'est attendue.")
    return "\n".join(lines)


def notify_drill_participants(cmd: NotifyDrillParticipants, ctx: HandlerContext) -> Outcome:
    """Send each notice whose day came (N days before the occurrence), once: the primary key
    of its notice row, in the same transaction as its outbox rows."""
    sent: list[dict[str, Any]] = []
    for schedule in ctx.uow.programme.active():
        if schedule.notice_days <= 0:
            continue
        horizon = ctx.now + timedelta(days=schedule.notice_days)
        for occurrence in recurrence_of(schedule).between(ctx.now, horizon):
            if occurrence <= schedule.created_at:
                continue
            if ctx.uow.programme.notice_sent(schedule.id, occurrence):
                continue
            sent.append(_send_notice(ctx, schedule, occurrence))
    journal = {"notices": len(sent)} if sent else None
    stream = PROGRAMME_CRISIS_ID if sent else SYSTEM_STREAM
    return Outcome(result=sent, stream=stream, journal=journal)


def _send_notice(
    ctx: HandlerContext, schedule: DrillSchedule, occurrence: datetime
) -> dict[str, Any]:
    try:
        scenario: Scenario | None = load_scenario_ref(schedule.scenario, ctx.uow)
    except InvalidInput:
        scenario = None  # the file changed since: the notice still goes, without objectives
    rows = _notice_rows(ctx, scenario)
    message_id: str | None = None
    if rows:
        crisis = programme_container(ctx)
        if all(c.id != crisis.id for c in ctx.touched):
            ctx.touched.append(crisis)
        text = notice_text(schedule, scenario, occurrence)
        subject = f"Exercice programmé le {long_datetime(occurrence)}"
        texts = MessageTexts.parse({"default": text, "email_subject": subject})
        message = Message(
            id=ctx.new_id(),
            crisis_id=crisis.id,
            purpose=MessagePurpose.DRILL_NOTICE,
            msg_type=MessageType.ALERT,
            audiences=(),
            lists=(),
            texts=texts.marked(ctx.settings.exercise_marker),
            exercise=True,
            created_by=ctx.actor.name,
            created_at=ctx.now,
        )
        write_message(ctx, crisis, message, Plan(deliveries=rows, unreachable=[]))
        ctx.uow.crises.save(crisis)
        message_id = message.id
    ctx.uow.programme.add_notice(
        schedule_id=schedule.id,
        occurrence=occurrence,
        at=ctx.now,
        message_id=message_id,
        recipients=len(rows),
    )
    summary = {
        "schedule_id": schedule.id,
        "name": schedule.name,
        "occurrence": occurrence.isoformat(),
        "message_id": message_id,
        "recipients": len(rows),
    }
    ctx.uow.journal.append(
        stream=SYSTEM_STREAM,
        at=ctx.now,
        actor=ctx.actor.name,
        kind="event.DrillNoticeSent",
        payload=summary,
    )
    return summary


def deliver_inject(cmd: DeliverInject, ctx: HandlerContext) -> Outcome:
    """Play the inject (the same InjectPlayed event as an unattended run) and, in the same
    transaction, send it to the named participants on the exercise channels."""
    play_inject(
        PlayInject(
            crisis_id=cmd.crisis_id,
            offset_minutes=cmd.offset_minutes,
            sender=cmd.sender,
            to=cmd.to,
            channel=cmd.channel,
            content=cmd.content,
            expected_action=cmd.expected_action,
            target_at=cmd.target_at,
        ),
        ctx,
    )
    crisis = next(c for c in ctx.touched if c.id == cmd.crisis_id)
    available = catalog_of(ctx).channels(exercise=True)
    preferred = INJECT_CHANNELS.get(cmd.channel.casefold())
    order = [preferred] if preferred else []
    others = (ChannelName.TELEGRAM_DM, ChannelName.SMS, ChannelName.EMAIL)
    order += [c for c in others if c not in order]
    rows: list[PlannedDelivery] = []
    unreachable: list[str] = []
    for contact_id in cmd.contact_ids:
        contact = ctx.uow.contacts.get(contact_id)
        if not contact.active:
            raise Conflict(
                f"« {contact.name} » est un contact inactif : inject refusé, rien n'est parti."
            )
        if not contact.exercise:
            raise Conflict(
                f"« {contact.name} » ne participe pas aux exercices : inject refusé, "
                "rien n'est parti."
            )
        planned = person_deliveries(
            audience=cmd.to[:16],
            name=contact.name,
            addresses={
                "email": contact.email,
                "mobile": contact.mobile,
                "telegram_chat_id": contact.telegram_chat_id,
            },
            channels=order,
            available=available,
            contact_id=contact.id,
        )
        if planned:
            rows.append(planned[0])
        else:
            unreachable.append(contact.id)
    message_id: str | None = None
    if rows:
        text = f"De : {cmd.sender}\n{cmd.content}"
        if cmd.expected_action:
            text += f"\nAction attendue : {cmd.expected_action}"
        texts = MessageTexts.parse(
            {"default": text, "email_subject": f"Inject d'exercice — {cmd.sender}"}
        )
        message = Message(
            id=ctx.new_id(),
            crisis_id=crisis.id,
            purpose=MessagePurpose.DRILL_INJECT,
            msg_type=MessageType.ALERT,
            audiences=(),
            lists=(),
            texts=texts.marked(ctx.settings.exercise_marker),
            exercise=True,
            created_by=ctx.actor.name,
            created_at=ctx.now,
        )
        write_message(ctx, crisis, message, Plan(deliveries=rows, unreachable=unreachable))
        message_id = message.id
    return Outcome(
        result=message_id,
        stream=crisis.id,
        journal={"deliveries": len(rows), "unreachable": len(unreachable)},
    )
