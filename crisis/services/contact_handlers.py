"""Handlers of the contact commands: import, create, update, named lists."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from crisis.contacts.csv_import import parse_contacts_csv
from crisis.domain.contact_commands import (
    AddToContactList,
    CreateContact,
    CreateContactList,
    DeactivateContact,
    ImportContacts,
    ReactivateContact,
    RemoveFromContactList,
    UpdateContact,
)
from crisis.domain.contacts import (
    Contact,
    ContactList,
    InvalidContacts,
    Problem,
    check_list_name,
    checked_contact,
    describe_key,
)
from crisis.domain.errors import Conflict, FieldCheck, InvalidInput
from crisis.services.context import HandlerContext, Outcome
from crisis.store.contacts_repository import Change
from crisis.store.journal import SYSTEM_STREAM

MAX_DESCRIPTION_LENGTH = 2000
MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class ImportReport:
    file_name: str
    sha256: str
    created: int
    updated: int
    unchanged: int
    skipped: int
    problems: list[Problem] = field(default_factory=list)
    deactivated: int = 0  # through the file's `actif` column
    reactivated: int = 0


@dataclass(frozen=True, slots=True)
class ListChange:
    contact_list: ContactList
    changed: list[str]  # contact ids added or removed
    unchanged: list[str]  # already in the list, or already out of it


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count <= 1 else f"{count} {word}s"


def import_contacts(cmd: ImportContacts, ctx: HandlerContext) -> Outcome:
    parsed = parse_contacts_csv(cmd.content)
    if parsed.fatal or (parsed.problems and not cmd.skip_invalid):
        raise InvalidContacts(
            parsed.problems,
            summary=(
                f"Le fichier « {cmd.file_name} » n'a pas été importé "
                f"({_plural(len(parsed.problems), 'erreur')}) : "
                + "; ".join(str(p) for p in parsed.problems)
            ),
        )
    counts = dict.fromkeys(Change, 0)
    switched: dict[bool, list[str]] = {True: [], False: []}
    outcomes = ctx.uow.contacts.upsert_many(
        [row.data for row in parsed.rows],
        new_id=ctx.new_id,
        now=ctx.now,
        keep_fonction=not parsed.has_fonction,
        keep_exercise=not parsed.has_exercise,
        keep_active=not parsed.has_active,
    )
    for outcome in outcomes:
        counts[outcome.change] += 1
        was_active = True if outcome.before is None else outcome.before.active
        if outcome.contact.active != was_active:
            switched[outcome.contact.active].append(outcome.contact.id)
    skipped_lines = parsed.invalid_lines
    report = ImportReport(
        file_name=cmd.file_name,
        sha256=parsed.sha256,
        created=counts[Change.CREATED],
        updated=counts[Change.UPDATED],
        unchanged=counts[Change.UNCHANGED],
        skipped=len(skipped_lines),
        problems=parsed.problems,
        deactivated=len(switched[False]),
        reactivated=len(switched[True]),
    )
    summary: dict[str, Any] = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "skipped_lines": skipped_lines,
    }
    # Who stops (or starts again) receiving messages through the `actif` column: named.
    if switched[False]:
        summary["deactivated"] = switched[False]
    if switched[True]:
        summary["reactivated"] = switched[True]
    return Outcome(result=report, stream=SYSTEM_STREAM, journal=summary)


def _refuse_taken_key(key: str, owner: Contact | None, contact_id: str | None) -> None:
    if owner is not None and owner.id != contact_id:
        raise Conflict(
            f"Un autre contact a déjà la même clé ({describe_key(key)}) : "
            f"« {owner.name} », identifiant {owner.id}."
        )


def create_contact(cmd: CreateContact, ctx: HandlerContext) -> Outcome:
    data = replace(checked_contact(cmd.contact.as_row()), active=True)
    _refuse_taken_key(data.key, ctx.uow.contacts.by_key(data.key), None)
    contact = ctx.uow.contacts.add(contact_id=ctx.new_id(), data=data, now=ctx.now)
    return Outcome(result=contact, stream=SYSTEM_STREAM, journal={"contact_id": contact.id})


def update_contact(cmd: UpdateContact, ctx: HandlerContext) -> Outcome:
    current = ctx.uow.contacts.get(cmd.contact_id)
    # Editing never (re)activates: that is DeactivateContact's and ReactivateContact's.
    data = replace(checked_contact(cmd.contact.as_row()), active=current.active)
    _refuse_taken_key(data.key, ctx.uow.contacts.by_key(data.key), cmd.contact_id)
    done = ctx.uow.contacts.replace(cmd.contact_id, data, now=ctx.now)
    return Outcome(result=done.contact, stream=SYSTEM_STREAM, journal={"change": done.change})


def _switch(ctx: HandlerContext, contact_id: str, *, active: bool, reason: str) -> Outcome:
    current = ctx.uow.contacts.get(contact_id)
    if current.active is active:
        state = "actif" if active else "inactif"
        raise Conflict(f"Le contact « {current.name} » est déjà {state}.")
    done = ctx.uow.contacts.set_active(contact_id, active, now=ctx.now)
    journal: dict[str, str] = {"contact_id": current.id, "name": current.name}
    if reason:
        journal["reason"] = reason
    return Outcome(result=done.contact, stream=SYSTEM_STREAM, journal=journal)


def deactivate_contact(cmd: DeactivateContact, ctx: HandlerContext) -> Outcome:
    reason = " ".join(cmd.reason.split())
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(
            "motif", f"Le motif ne doit pas dépasser {MAX_REASON_LENGTH} caractères."
        )
    return _switch(ctx, cmd.contact_id, active=False, reason=reason)


def reactivate_contact(cmd: ReactivateContact, ctx: HandlerContext) -> Outcome:
    return _switch(ctx, cmd.contact_id, active=True, reason="")


def create_contact_list(cmd: CreateContactList, ctx: HandlerContext) -> Outcome:
    check = FieldCheck()
    name = check.read(lambda: check_list_name(cmd.name)) or ""
    description = cmd.description.strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        check.add(
            "description",
            f"La description ne doit pas dépasser {MAX_DESCRIPTION_LENGTH} caractères.",
        )
    check.done()
    existing = ctx.uow.contacts.list_by_name(name)
    if existing is not None:
        raise Conflict(f"Une liste nommée « {existing.name} » existe déjà.")
    created = ctx.uow.contacts.add_list(
        list_id=ctx.new_id(), name=name, description=description, by=ctx.actor.name, now=ctx.now
    )
    return Outcome(result=created, stream=SYSTEM_STREAM, journal={"list_id": created.id})


def _contact_ids(refs: tuple[str, ...], ctx: HandlerContext) -> list[str]:
    if not refs:
        raise InvalidInput("contacts", "Indiquez au moins un contact.")
    return [ctx.uow.contacts.find_by_ref(ref).id for ref in refs]


def add_to_contact_list(cmd: AddToContactList, ctx: HandlerContext) -> Outcome:
    target = ctx.uow.contacts.get_list(cmd.list_ref)
    ids = _contact_ids(cmd.contact_refs, ctx)
    added = ctx.uow.contacts.add_members(target.id, ids, by=ctx.actor.name, now=ctx.now)
    change = ListChange(target, added, [i for i in dict.fromkeys(ids) if i not in added])
    return Outcome(
        result=change,
        stream=SYSTEM_STREAM,
        journal={"list_id": target.id, "added": added, "already_in": change.unchanged},
    )


def remove_from_contact_list(cmd: RemoveFromContactList, ctx: HandlerContext) -> Outcome:
    target = ctx.uow.contacts.get_list(cmd.list_ref)
    ids = _contact_ids(cmd.contact_refs, ctx)
    removed = ctx.uow.contacts.remove_members(target.id, ids)
    change = ListChange(target, removed, [i for i in dict.fromkeys(ids) if i not in removed])
    return Outcome(
        result=change,
        stream=SYSTEM_STREAM,
        journal={"list_id": target.id, "removed": removed, "not_in": change.unchanged},
    )
