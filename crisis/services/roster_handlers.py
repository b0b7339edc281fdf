"""The cell's roster: importing the rota of shifts, finding a member, binding a member's
Telegram account with a one-time code."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta

from crisis.domain.contacts import (
    InvalidContacts,
    Problem,
    fold,
    normalise_email,
    normalise_mobile,
)
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.oncall import (
    BindTelegram,
    ImportRoster,
    IssueBindCode,
    Member,
    Shift,
)
from crisis.services.context import HandlerContext, Outcome
from crisis.store.journal import SYSTEM_STREAM

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
