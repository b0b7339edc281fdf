"""The cell on call: roster import, callouts with acknowledgements and escalation, quorum,
Telegram binding, and the CIP with its numéro unique.

Timing works like the clocks: each round of a role stores the absolute instant at which it
is over; `CheckCallouts` (posted by the scheduler at that instant and by the periodic sweep)
escalates what fell due. The primary key of `callout_rounds` makes each escalation, and the
duty officer's alert, happen once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from crisis.delivery.planning import Plan, person_deliveries
from crisis.domain.commands import Command
from crisis.domain.contacts import (
    InvalidContacts,
    Problem,
    fold,
    normalise_email,
    normalise_mobile,
)
from crisis.domain.crisis import Crisis
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.events import CodActivated
from crisis.domain.messages import ChannelName, Message, MessagePurpose, MessageTexts, MessageType
from crisis.domain.oncall import (
    CELL_ROLE_LABELS,
    TEAM_LABELS,
    TEAM_ROLES,
    AcknowledgePage,
    BindTelegram,
    CalloutEscalated,
    CalloutOfficerAlerted,
    CalloutStarted,
    CellRole,
    CheckCallouts,
    CipDeactivated,
    CipPublished,
    DeactivateCip,
    DeclareCipOperational,
    ImportRoster,
    IssueBindCode,
    Member,
    MemberPaged,
    OrderCip,
    PageAcknowledged,
    QuorumReached,
    RoleUnstaffed,
    Shift,
    ShiftHandedOver,
    StartCallout,
    Team,
    format_numero_unique,
    parse_quorum,
)
from crisis.domain.vocabulary import CRISIS_KIND_LABELS, Audience, ClockName, CrisisState
from crisis.french import long_datetime
from crisis.oncall.links import ack_url, make_token
from crisis.services.context import HandlerContext, Outcome
from crisis.services.message_handlers import (
    deliver,
    fit_own_sms,
    raise_internal_alert,
    write_message,
)
from crisis.store.journal import SYSTEM_STREAM
from crisis.store.oncall_repository import Callout, CipActivation, Page, Round

PAGE_CHANNELS = (ChannelName.TELEGRAM_DM, ChannelName.SMS, ChannelName.EMAIL)
SYSTEM_NAME = "système"
BIND_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
BIND_CODE_LENGTH = 8


# -- the roster -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterReport:
    members: int
    shifts: int
    created: list[str] = field(default_factory=list)
    linked_to_contacts: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def import_roster(cmd: ImportRoster, ctx: HandlerContext) -> Outcome:
    problems: list[Problem] = []
    people: dict[str, dict[str, str | None]] = {}
    names: dict[str, str] = {}
    for item in cmd.shifts:
        where = item.line
        if item.ends_at <= item.starts_at:
            problems.append(
                Problem("fin", "la fin de l'astreinte doit suivre son début", line=where)
            )
        key = fold(item.name)
        if not key:
            problems.append(Problem("nom", "le nom est obligatoire", line=where))
            continue
        names.setdefault(key, " ".join(item.name.split()))
        known = people.setdefault(key, {"email": None, "mobile": None, "telegram_chat_id": None})
        for field_name, raw in (
            ("email", item.email),
            ("mobile", item.mobile),
            ("telegram_chat_id", item.telegram_chat_id),
        ):
            if not raw or not raw.strip():
                continue
            try:
                value = _normalise(field_name, raw)
            except ValueError as error:
                problems.append(
                    Problem(field_name, f"{field_name} « {raw} » invalide ({error})", line=where)
                )
                continue
            if known[field_name] and known[field_name] != value:
                problems.append(
                    Problem(
                        field_name,
                        f"{names[key]} a déjà une autre valeur pour « {field_name} » "
                        f"({known[field_name]})",
                        line=where,
                    )
                )
            known[field_name] = value
    if problems:
        raise InvalidContacts(
            problems,
            f"Astreinte refusée, rien n'a été importé : {len(problems)} erreur(s) — "
            + "; ".join(str(p) for p in problems),
        )
    report = RosterReport(members=len(people), shifts=len(cmd.shifts))
    ids: dict[str, str] = {}
    for key, addresses in people.items():
        existing = ctx.uow.oncall.member_by_key(key)
        contact_id = existing.contact_id if existing else None
        if not any(addresses.values()):
            linked = ctx.uow.oncall.cellule_contact_by_name(key)
            if linked is not None:
                contact_id = linked[0]
                report.linked_to_contacts.append(names[key])
        member = Member(
            id=existing.id if existing else ctx.new_id(),
            key=key,
            name=names[key],
            contact_id=contact_id,
            email=addresses["email"] or (existing.email if existing else None),
            mobile=addresses["mobile"] or (existing.mobile if existing else None),
            telegram_chat_id=addresses["telegram_chat_id"]
            or (existing.telegram_chat_id if existing else None),
        )
        if existing is None:
            ctx.uow.oncall.add_member(member, now=ctx.now)
            report.created.append(member.name)
        else:
            ctx.uow.oncall.update_member(member, now=ctx.now)
        if not any(ctx.uow.oncall.addresses(member).values()):
            report.unreachable.append(member.name)
        ids[key] = member.id
    ctx.uow.oncall.replace_shifts(
        [
            Shift(
                id=ctx.new_id(),
                member_id=ids[fold(item.name)],
                role=item.role,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
            )
            for item in cmd.shifts
        ]
    )
    return Outcome(
        result=report,
        stream=SYSTEM_STREAM,
        journal={"members": report.members, "shifts": report.shifts},
    )


def _normalise(field_name: str, raw: str) -> str:
    if field_name == "email":
        return normalise_email(raw)
    if field_name == "mobile":
        return normalise_mobile(raw)
    value = raw.strip()
    if not re.fullmatch(r"-?[0-9]{1,20}", value):
        raise ValueError("identifiant numérique attendu")
    return value


def find_member(ctx: HandlerContext, ref: str) -> Member:
    member = ctx.uow.oncall.member(ref) or ctx.uow.oncall.member_by_key(fold(ref))
    if member is None:
        raise NotFound(
            f"Aucun membre d'astreinte ne s'appelle ou ne porte l'identifiant « {ref} »."
        )
    return member


# -- callouts -------------------------------------------------------------------------------


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


def _page_texts(
    ctx: HandlerContext, crisis: Crisis, callout: Callout, role: CellRole, link: str | None
) -> dict[str, str]:
    team = TEAM_LABELS[callout.team]
    role_label = CELL_ROLE_LABELS[role]
    place = ctx.settings.callout_place
    phone = ctx.settings.callout_contact_phone
    ways = "touchez « J'arrive » ou répondez /ack"
    if link:
        ways += f", ou ouvrez {link}"
    contact = f" Cadre de permanence : {phone}." if phone else ""
    default = (
        f"APPEL D'ASTREINTE – {team}\n"
        f"Événement : {crisis.title}.\n"
        f"Vous êtes appelé(e) comme {role_label}. Rendez-vous : {place}.\n"
        f"Accusez réception dès maintenant : {ways}.{contact}"
    )
    sms = f"Prefecture - appel d'astreinte ({role_label}) : {crisis.title}.{_sms_keep(ctx, link)}"
    email_text = (
        f"Bonjour,\n\nLa {team} est appelée : {crisis.title}.\n"
        f"Vous êtes appelé(e) comme {role_label}. Rendez-vous : {place}.\n\n"
        + (
            f"Merci d'accuser réception dès maintenant : {link}\n"
            if link
            else "Merci d'accuser réception dès maintenant auprès du cadre de permanence "
            "(ou /ack sur Telegram).\n"
        )
        + (f"\nLe cadre de permanence est joignable au {phone}.\n" if phone else "")
    )
    return {
        "default": default,
        "telegram": default,
        "sms": sms,
        "email_subject": f"Appel d'astreinte : {team} – {crisis.title}",
        "email_text": email_text,
    }


def _sms_keep(ctx: HandlerContext, link: str | None) -> str:
    """The end of a call-out SMS, what the member must do: never cut when the SMS is shortened."""
    phone = ctx.settings.callout_contact_phone
    way = f"Confirmez : {link}" if link else "Confirmez au cadre de permanence."
    return f" {way}" + (f" Cadre de permanence : {phone}." if phone else "")


def _link(ctx: HandlerContext, page_id: str) -> str | None:
    secret = ctx.settings.ack_secret
    if secret is None or ctx.catalog is None:
        return None
    token = make_token(
        secret=secret.get_secret_value(),
        page_id=page_id,
        expires_at=ctx.now + timedelta(minutes=ctx.settings.ack_link_minutes),
    )
    return ack_url(ctx.catalog.config.public.base_url, token)


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
    if ctx.catalog is not None:
        available = ctx.catalog.channels(exercise=crisis.exercise)
        rows = person_deliveries(
            audience="cellule",
            name=member.name,
            addresses=ctx.uow.oncall.addresses(member),
            channels=PAGE_CHANNELS,
            available=available,
        )
        if rows:
            link = _link(ctx, page_id)
            texts = MessageTexts.parse(_page_texts(ctx, crisis, callout, role, link))
            if crisis.exercise:
                texts = texts.marked(ctx.settings.exercise_marker)
            texts = fit_own_sms(ctx, texts, exercise=crisis.exercise, keep=_sms_keep(ctx, link))
            message = Message(
                id=ctx.new_id(),
                crisis_id=crisis.id,
                purpose=MessagePurpose.CALLOUT,
                msg_type=MessageType.ALERT,
                audiences=(),
                lists=(),
                texts=texts,
                exercise=crisis.exercise,
                created_by=ctx.actor.name,
                created_at=ctx.now,
            )
            write_message(ctx, crisis, message, Plan(deliveries=rows, unreachable=[]))
            message_id = message.id
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


# -- acknowledgements and quorum ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AckReport:
    member_name: str
    acknowledged: list[dict[str, str]]  # crisis title, role, team


def acknowledge_page(cmd: AcknowledgePage, ctx: HandlerContext) -> Outcome:
    repo = ctx.uow.oncall
    if cmd.page_id is not None:
        page = repo.page(cmd.page_id)
        if page is None:
            raise NotFound("Cet appel n'existe pas.")
        if page.acknowledged_at is not None:
            raise Conflict(
                f"Cet appel a déjà été acquitté le {long_datetime(page.acknowledged_at)}."
            )
        pages = [page]
        member = repo.member(page.member_id)
    else:
        if cmd.telegram_chat_id is not None:
            member = repo.member_by_chat(cmd.telegram_chat_id)
            if member is None:
                raise NotFound(
                    "Ce compte Telegram n'est associé à aucun membre d'astreinte : "
                    "envoyez /start suivi de votre code."
                )
        elif cmd.member_id is not None:
            member = find_member(ctx, cmd.member_id)
        else:
            raise InvalidInput("member_id", "Indiquez qui accuse réception.")
        pages = repo.pending_pages(member_id=member.id, crisis_id=cmd.crisis_id)
        if not pages:
            raise Conflict(f"Aucun appel n'attend d'accusé de réception de {member.name}.")
    assert member is not None
    crises: dict[str, Crisis] = {}
    done: list[dict[str, str]] = []
    for page in pages:
        crisis = crises.get(page.crisis_id)
        if crisis is None:
            crisis = crises[page.crisis_id] = ctx.uow.crises.get(page.crisis_id, for_update=True)
            ctx.touched.append(crisis)
        callout = repo.callout(page.callout_id)
        assert callout is not None
        before = repo.role_acknowledged_instants(callout.id)
        if not repo.acknowledge(page.id, at=ctx.now, via=cmd.via):
            continue
        crisis.record_event(
            PageAcknowledged(
                crisis_id=crisis.id,
                callout_id=callout.id,
                page_id=page.id,
                role=page.role.value,
                member_id=member.id,
                member_name=member.name,
                acknowledged_at=ctx.now,
                via=cmd.via,
                role_acknowledged=page.role not in before,
            )
        )
        done.append(
            {"crisis": crisis.title, "role": CELL_ROLE_LABELS[page.role], "team": callout.team}
        )
        _check_quorum(ctx, crisis, callout)
    for crisis in crises.values():
        ctx.uow.crises.save(crisis)
    stream = pages[0].crisis_id
    return Outcome(result=AckReport(member.name, done), stream=stream)


def _check_quorum(ctx: HandlerContext, crisis: Crisis, callout: Callout) -> None:
    if not callout.quorum or crisis.state is not CrisisState.COD_ACTIVE:
        return
    instants = ctx.uow.oncall.role_acknowledged_instants(callout.id)
    if not all(role in instants for role in callout.quorum):
        return
    reached = max(instants[role] for role in callout.quorum)
    if not ctx.uow.oncall.mark_quorum_reached(callout.id, reached):
        return
    crisis.record_event(
        QuorumReached(
            crisis_id=crisis.id,
            callout_id=callout.id,
            team=callout.team.value,
            quorum=tuple(r.value for r in callout.quorum),
            reached_at=reached,
        )
    )
    note = "Quorum atteint : " + ", ".join(CELL_ROLE_LABELS[r] for r in callout.quorum) + "."
    if callout.team is Team.CELL:
        if crisis.clocks[ClockName.CELL].met_at is None:
            crisis.declare_cell_operational(at=reached, by=SYSTEM_NAME, note=note, now=ctx.now)
    else:
        cip = ctx.uow.oncall.cip(crisis.id)
        if cip is not None and cip.deactivated_at is None:
            _cip_operational(ctx, crisis, cip, at=reached, by=SYSTEM_NAME, note=note)


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
            continue
        _alert_officer(ctx, crisis, callout, due.role, rounds=next_round, due_at=due.due_at)
    ids = [cmd.crisis_id] if cmd.crisis_id else repo.crises_with_callouts()
    for crisis_id in ids:
        for callout in repo.callouts_of(crisis_id):
            _handovers(ctx, crisis_of, callout)
    for crisis in crises.values():
        if crisis.events:
            ctx.touched.append(crisis)
            ctx.uow.crises.save(crisis)
    return Outcome(
        result=sum(len(c.events) for c in crises.values()), stream=cmd.crisis_id or SYSTEM_STREAM
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
            f"Événement : {crisis.title}."
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


# -- Telegram binding -----------------------------------------------------------------------


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def issue_bind_code(cmd: IssueBindCode, ctx: HandlerContext) -> Outcome:
    member = find_member(ctx, cmd.member)
    code = "".join(secrets.choice(BIND_ALPHABET) for _ in range(BIND_CODE_LENGTH))
    expires_at = ctx.now + timedelta(minutes=ctx.settings.bind_code_minutes)
    ctx.uow.oncall.add_bind_code(
        code_hash=_code_hash(code), member_id=member.id, now=ctx.now, expires_at=expires_at
    )
    # The code goes back to the caller once; the journal learns only for whom.
    return Outcome(
        result={
            "member_id": member.id,
            "member": member.name,
            "code": code,
            "expires_at": expires_at,
        },
        stream=SYSTEM_STREAM,
        journal={"member": member.name, "expires_at": expires_at.isoformat()},
    )


def bind_telegram(cmd: BindTelegram, ctx: HandlerContext) -> Outcome:
    repo = ctx.uow.oncall
    if not cmd.code.strip():
        raise InvalidInput("code", "Envoyez /start suivi du code remis par le cadre de permanence.")
    found = repo.bind_code(_code_hash(cmd.code))
    if found is None:
        raise NotFound("Code inconnu : vérifiez-le ou demandez-en un nouveau.")
    if found.used_at is not None:
        raise Conflict("Ce code a déjà servi : demandez-en un nouveau au cadre de permanence.")
    if ctx.now >= found.expires_at:
        raise Conflict("Ce code a expiré : demandez-en un nouveau au cadre de permanence.")
    member = repo.member(found.member_id)
    assert member is not None
    if not repo.use_bind_code(found.code_hash, now=ctx.now):
        raise Conflict("Ce code a déjà servi : demandez-en un nouveau au cadre de permanence.")
    previous = repo.member_by_chat(cmd.telegram_chat_id)
    if previous is not None and previous.id != member.id:
        repo.update_member(replace(previous, telegram_chat_id=None), now=ctx.now)
    repo.update_member(replace(member, telegram_chat_id=cmd.telegram_chat_id), now=ctx.now)
    return Outcome(
        result={"member_id": member.id, "member": member.name},
        stream=SYSTEM_STREAM,
        journal={"member": member.name},
    )


# -- the CIP --------------------------------------------------------------------------------


def order_cip(cmd: OrderCip, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    numero = format_numero_unique(cmd.numero_unique)
    ordered_at = cmd.ordered_at or ctx.now
    ordered_by = cmd.ordered_by if cmd.ordered_by is not None else ctx.actor.name
    crisis.order_cip(
        ordered_at=ordered_at,
        ordered_by=ordered_by,
        numero_unique=numero,
        recorded_by=ctx.actor.name,
        now=ctx.now,
        policy=ctx.settings.clock_policy,
    )
    ctx.uow.oncall.add_cip(
        CipActivation(
            crisis_id=crisis.id,
            numero_unique=numero,
            ordered_at=ordered_at,
            ordered_by=ordered_by.strip(),
            operational_at=None,
            deactivated_at=None,
            deactivated_by=None,
            deactivation_reason=None,
        )
    )
    begin_callout(ctx, crisis, Team.CIP, reason="ordre du préfet")
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def _active_cip(ctx: HandlerContext, crisis_id: str) -> CipActivation:
    cip = ctx.uow.oncall.cip(crisis_id)
    if cip is None:
        raise Conflict(
            "La cellule d'information du public n'a pas été activée : "
            "enregistrez d'abord l'ordre du préfet."
        )
    if cip.deactivated_at is not None:
        raise Conflict(
            "La cellule d'information du public est fermée depuis le "
            f"{long_datetime(cip.deactivated_at)}."
        )
    return cip


def declare_cip_operational(cmd: DeclareCipOperational, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    cip = _active_cip(ctx, crisis.id)
    _cip_operational(
        ctx, crisis, cip, at=cmd.declared_at or ctx.now, by=ctx.actor.name, note=cmd.note.strip()
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def _cip_operational(
    ctx: HandlerContext, crisis: Crisis, cip: CipActivation, *, at: datetime, by: str, note: str
) -> None:
    crisis.declare_cip_operational(at=at, by=by, note=note, now=ctx.now)
    first = cip.operational_at is None
    ctx.uow.oncall.set_cip_operational(crisis.id, at)
    if first:
        _publish(ctx, crisis, kind="activation", texts=_activation_texts(ctx, crisis, cip, at))


def deactivate_cip(cmd: DeactivateCip, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    if crisis.state is not CrisisState.COD_ACTIVE:
        raise Conflict("Cet événement n'est pas en cours : rien à fermer.")
    cip = _active_cip(ctx, crisis.id)
    reason = cmd.reason.strip()
    if not reason:
        raise InvalidInput("reason", "Indiquez le motif de la fermeture de la CIP.")
    at = cmd.deactivated_at or ctx.now
    if at > ctx.now:
        raise InvalidInput("deactivated_at", "L'heure de fermeture ne peut pas être dans le futur.")
    if at < cip.ordered_at:
        raise InvalidInput(
            "deactivated_at", "L'heure de fermeture est antérieure à l'ordre du préfet."
        )
    ctx.uow.oncall.set_cip_deactivated(crisis.id, at=at, by=ctx.actor.name, reason=reason)
    crisis.record_event(
        CipDeactivated(
            crisis_id=crisis.id, deactivated_at=at, deactivated_by=ctx.actor.name, reason=reason
        )
    )
    _publish(ctx, crisis, kind="deactivation", texts=_deactivation_texts(ctx, crisis, cip, at))
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


@cache
def _templates() -> object:
    from crisis.templating import TemplateRegistry

    return TemplateRegistry.with_bundled()


def _site(ctx: HandlerContext) -> str | None:
    if ctx.catalog is None:
        return None
    base = ctx.catalog.config.public.base_url
    return base if base.startswith("https://") else None


def _activation_texts(
    ctx: HandlerContext, crisis: Crisis, cip: CipActivation, at: datetime
) -> dict[str, str]:
    from crisis.templating import TemplateRegistry

    registry = _templates()
    assert isinstance(registry, TemplateRegistry)
    variables: dict[str, object] = {
        "evenement": CRISIS_KIND_LABELS[crisis.kind].lower(),
        "communes": list(crisis.communes) or ["l'ensemble du département"],
        "numero_unique": cip.numero_unique,
        "ouverte_le": at,
        "horaires": ctx.settings.cip_hours,
    }
    site = _site(ctx)
    if site is not None:
        variables["site_web"] = site
    rendered = registry.render("activation_cip", variables=variables, exercise=False)
    texts = {variant.variant.value: variant.text for variant in rendered}
    texts["default"] = texts.get("telegram") or texts["sms"]
    return texts


def _deactivation_texts(
    ctx: HandlerContext, crisis: Crisis, cip: CipActivation, at: datetime
) -> dict[str, str]:
    kind = CRISIS_KIND_LABELS[crisis.kind]
    site = _site(ctx)
    more = f" Informations à jour : {site}" if site else ""
    default = (
        f"{kind} : la cellule d'information du public est fermée depuis le "
        f"{long_datetime(at)}. Le numéro unique {cip.numero_unique} n'est plus en service. "
        f"En cas d'urgence, composez le 112.{more}"
    )
    return {
        "default": default,
        "sms": (
            f"{kind} : la cellule d'information du public est fermee, le {cip.numero_unique} "
            "n'est plus en service. Urgence : 112."
        ),
        "x": (
            f"{kind} : la cellule d'information du public est fermée. Le "
            f"{cip.numero_unique} n'est plus en service. Urgence : 112."
        ),
        "email_subject": f"Fermeture de la cellule d'information du public ({kind.lower()})",
        "feed_title": "Fermeture de la cellule d'information du public",
        "cap_headline": f"{kind} : fermeture de la cellule d'information du public",
    }


def _publish(ctx: HandlerContext, crisis: Crisis, *, kind: str, texts: dict[str, str]) -> None:
    """To the public and the media, through the outbox, in the current transaction."""
    cip = ctx.uow.oncall.cip(crisis.id)
    assert cip is not None
    if ctx.catalog is None:
        return  # no channels wired (a bare CLI): the journal entry stands
    earlier = _activation_message(ctx, crisis.id) if kind == "deactivation" else None
    try:
        sent = deliver(
            ctx,
            crisis,
            texts=MessageTexts.parse(texts),
            audiences=(Audience.PUBLIC, Audience.MEDIA),
            lists=(),
            channels=None,
            msg_type=MessageType.UPDATE if earlier else MessageType.ALERT,
            references_id=earlier,
            author=ctx.actor.name,
        )
    except InvalidInput:
        return  # nobody reachable: the order itself is journalled
    crisis.record_event(
        CipPublished(
            crisis_id=crisis.id,
            message_id=sent.message_id,
            numero_unique=cip.numero_unique,
            kind=kind,
        )
    )


def _activation_message(ctx: HandlerContext, crisis_id: str) -> str | None:
    for entry in reversed(ctx.uow.journal.entries(crisis_id)):
        if entry.kind == "event.CipPublished" and entry.payload.get("kind") == "activation":
            value = entry.payload.get("message_id")
            return str(value) if value else None
    return None


HANDLERS: dict[type[Command], Callable[[Any, HandlerContext], Outcome]] = {
    ImportRoster: import_roster,
    StartCallout: start_callout,
    AcknowledgePage: acknowledge_page,
    CheckCallouts: check_callouts,
    IssueBindCode: issue_bind_code,
    BindTelegram: bind_telegram,
    OrderCip: order_cip,
    DeclareCipOperational: declare_cip_operational,
    DeactivateCip: deactivate_cip,
}
