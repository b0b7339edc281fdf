"""The directory of recipients and the named lists, with SQLAlchemy Core."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from crisis.domain.contacts import (
    AUDIENCE_CATEGORIES,
    Category,
    Contact,
    ContactData,
    ContactList,
    contact_key,
    fold,
    normalise_email,
    normalise_mobile,
)
from crisis.domain.errors import InvalidInput, NotFound
from crisis.domain.fanouts import ContactKey
from crisis.domain.vocabulary import Audience
from crisis.store.tables import contact_list_members, contact_lists, contacts


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Upserted:
    contact: Contact
    change: Change
    before: Contact | None = None  # as it was, None if it was just created


def _contact(row: Any) -> Contact:
    return Contact(
        id=row.id,
        key=row.key,
        name=row.name,
        category=Category(row.category),
        email=row.email,
        mobile=row.mobile,
        telegram_chat_id=row.telegram_chat_id,
        commune=row.commune,
        fonction=row.fonction,
        exercise=row.exercise,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _contact_list(row: Any) -> ContactList:
    return ContactList(
        id=row.id,
        name=row.name,
        description=row.description,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _values(data: ContactData) -> dict[str, Any]:
    """The stored columns of `data` (`_DATA_COLUMNS`)."""
    return {
        "key": contact_key(data),
        "name": data.name,
        "category": data.category.value,
        "email": data.email,
        "mobile": data.mobile,
        "telegram_chat_id": data.telegram_chat_id,
        "commune": data.commune,
        "fonction": data.fonction,
        "exercise": data.exercise,
        "active": data.active,
    }


def _contact_from(values: dict[str, Any]) -> Contact:
    """The contact a row of `values` (as inserted or updated) describes."""
    return _contact(SimpleNamespace(**values))


# Rows read or written per statement by `upsert_many`: few round trips, bounded parameters.
_CHUNK = 500
_DATA_COLUMNS = (
    "key",
    "name",
    "category",
    "email",
    "mobile",
    "telegram_chat_id",
    "commune",
    "fonction",
    "exercise",
    "active",
)
_UPDATE_BY_ID = (
    update(contacts)
    .where(contacts.c.id == bindparam("contact_id"))
    .values({name: bindparam(name) for name in ("updated_at", *_DATA_COLUMNS)})
)

_TELEGRAM = re.compile(r"-?[0-9]{1,20}")
_ORDER = (contacts.c.category, contacts.c.name, contacts.c.id)
# The one rule of who may receive anything: an active contact. Every recipient query of this
# repository (audiences, named lists, the cell's drill notices) goes through `_recipients`.
_RECEIVES = contacts.c.active.is_(True)


class ContactRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # Contacts

    def get(self, contact_id: str) -> Contact:
        row = self._conn.execute(select(contacts).where(contacts.c.id == contact_id)).first()
        if row is None:
            raise NotFound(f"Aucun contact ne porte l'identifiant « {contact_id} ».")
        return _contact(row)

    def by_key(self, key: str) -> Contact | None:
        row = self._conn.execute(select(contacts).where(contacts.c.key == key)).first()
        return None if row is None else _contact(row)

    def find_by_ref(self, ref: str) -> Contact:
        """A contact by id, key, e-mail, mobile (as people type it) or Telegram chat id."""
        ref = ref.strip()
        conditions: list[ColumnElement[bool]] = [contacts.c.id == ref, contacts.c.key == ref]
        with contextlib.suppress(ValueError):
            email = normalise_email(ref).casefold()
            conditions.append(func.lower(contacts.c.email) == email)
        with contextlib.suppress(ValueError):
            conditions.append(contacts.c.mobile == normalise_mobile(ref))
        if _TELEGRAM.fullmatch(ref):
            conditions.append(contacts.c.telegram_chat_id == str(int(ref)))
        rows = self._conn.execute(select(contacts).where(or_(*conditions)).order_by(*_ORDER)).all()
        if not rows:
            raise NotFound(f"Aucun contact ne correspond à « {ref} ».")
        if len(rows) > 1:
            names = ", ".join(f"{r.name} ({r.id})" for r in rows)
            raise InvalidInput(
                "contacts",
                f"Plusieurs contacts correspondent à « {ref} » : {names} ; indiquez l'identifiant.",
            )
        return _contact(rows[0])

    def find(
        self,
        *,
        category: Category | None = None,
        exercise: bool | None = None,
        active: bool | None = None,
    ) -> list[Contact]:
        """The directory as people read it (inactive contacts too, unless `active` says)."""
        query = select(contacts).order_by(*_ORDER)
        if category is not None:
            query = query.where(contacts.c.category == category.value)
        if exercise is not None:
            query = query.where(contacts.c.exercise == exercise)
        if active is not None:
            query = query.where(contacts.c.active == active)
        return [_contact(row) for row in self._conn.execute(query)]

    def count(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(contacts)).scalar_one())

    def add(self, *, contact_id: str, data: ContactData, now: datetime) -> Contact:
        self._conn.execute(
            insert(contacts).values(id=contact_id, created_at=now, updated_at=now, **_values(data))
        )
        return self.get(contact_id)

    def replace(self, contact_id: str, data: ContactData, *, now: datetime) -> Upserted:
        current = self.get(contact_id)
        if current.data() == data:
            return Upserted(current, Change.UNCHANGED, current)
        self._conn.execute(
            update(contacts)
            .where(contacts.c.id == contact_id)
            .values(updated_at=now, **_values(data))
        )
        return Upserted(self.get(contact_id), Change.UPDATED, current)

    def upsert_many(
        self,
        rows: Sequence[ContactData],
        *,
        new_id: Callable[[], str],
        now: datetime,
        keep_fonction: bool = False,
        keep_exercise: bool = False,
        keep_active: bool = False,
    ) -> list[Upserted]:
        """`upsert` for a whole file, row after row, in a few statements: the stored contacts
        are read by key in chunks, the new ones inserted and the changed ones updated in
        batches (one statement per row made a 100,000-line directory take most of an hour).
        A key met twice in `rows` ends with its last row, as one upsert after the other would
        (the CSV import refuses such a file before)."""
        known: dict[str, Contact] = {}
        keys = list(dict.fromkeys(contact_key(data) for data in rows))
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            for row in self._conn.execute(select(contacts).where(contacts.c.key.in_(chunk))):
                known[row.key] = _contact(row)
        created: dict[str, dict[str, Any]] = {}  # by id, the rows to insert
        updated: dict[str, dict[str, Any]] = {}  # by id, the rows to update
        done: list[Upserted] = []
        for data in rows:
            key = contact_key(data)
            current = known.get(key)
            if current is None:
                values = {"id": new_id(), "created_at": now, "updated_at": now, **_values(data)}
                contact = known[key] = _contact_from(values)
                created[contact.id] = values
                done.append(Upserted(contact, Change.CREATED))
                continue
            if keep_fonction:
                data = replace(data, fonction=current.fonction)
            if keep_exercise:
                data = replace(data, exercise=current.exercise)
            if keep_active:
                data = replace(data, active=current.active)
            if current.data() == data:
                done.append(Upserted(current, Change.UNCHANGED, current))
                continue
            values = {
                "id": current.id,
                "created_at": current.created_at,
                "updated_at": now,
                **_values(data),
            }
            contact = known[key] = _contact_from(values)
            updated[contact.id] = values  # applied after the inserts
            done.append(Upserted(contact, Change.UPDATED, current))
        inserts = list(created.values())
        for start in range(0, len(inserts), _CHUNK):
            self._conn.execute(insert(contacts), inserts[start : start + _CHUNK])
        changes = [
            {"contact_id": values["id"], "updated_at": now}
            | {name: values[name] for name in _DATA_COLUMNS}
            for values in updated.values()
        ]
        for start in range(0, len(changes), _CHUNK):
            self._conn.execute(_UPDATE_BY_ID, changes[start : start + _CHUNK])
        return done

    # Named lists

    def add_list(
        self, *, list_id: str, name: str, description: str, by: str, now: datetime
    ) -> ContactList:
        self._conn.execute(
            insert(contact_lists).values(
                id=list_id,
                name=name,
                name_key=fold(name),
                description=description,
                created_at=now,
                created_by=by,
            )
        )
        return self.get_list(list_id)

    def list_by_name(self, name: str) -> ContactList | None:
        row = self._conn.execute(
            select(contact_lists).where(contact_lists.c.name_key == fold(name))
        ).first()
        return None if row is None else _contact_list(row)

    def get_list(self, ref: str) -> ContactList:
        """A named list by id or by name (case and accents ignored)."""
        row = self._conn.execute(
            select(contact_lists).where(
                (contact_lists.c.id == ref) | (contact_lists.c.name_key == fold(ref))
            )
        ).first()
        if row is None:
            raise NotFound(f"Aucune liste de contacts ne s'appelle « {ref} ».")
        return _contact_list(row)

    def lists(self) -> list[ContactList]:
        query = select(contact_lists).order_by(contact_lists.c.name_key)
        return [_contact_list(row) for row in self._conn.execute(query)]

    def list_ids_of(self, contact_id: str) -> set[str]:
        """The named lists a contact is in."""
        query = select(contact_list_members.c.list_id).where(
            contact_list_members.c.contact_id == contact_id
        )
        return set(self._conn.scalars(query))

    def member_ids(self, list_id: str) -> set[str]:
        query = select(contact_list_members.c.contact_id).where(
            contact_list_members.c.list_id == list_id
        )
        return set(self._conn.scalars(query))

    def add_members(
        self, list_id: str, contact_ids: Sequence[str], *, by: str, now: datetime
    ) -> list[str]:
        """Add the contacts not yet in the list; the ids actually added."""
        present = self.member_ids(list_id)
        added = [c for c in dict.fromkeys(contact_ids) if c not in present]
        for contact_id in added:
            self._conn.execute(
                insert(contact_list_members).values(
                    list_id=list_id, contact_id=contact_id, added_at=now, added_by=by
                )
            )
        return added

    def remove_members(self, list_id: str, contact_ids: Sequence[str]) -> list[str]:
        """Remove the contacts that were in the list; the ids actually removed."""
        present = self.member_ids(list_id)
        removed = [c for c in dict.fromkeys(contact_ids) if c in present]
        if removed:
            self._conn.execute(
                delete(contact_list_members).where(
                    contact_list_members.c.list_id == list_id,
                    contact_list_members.c.contact_id.in_(removed),
                )
            )
        return removed

    # Recipients: active contacts only

    @staticmethod
    def _recipients_query(condition: ColumnElement[bool], *, exercise: bool) -> Select[Any]:
        query = select(contacts).where(condition, _RECEIVES).order_by(*_ORDER)
        if exercise:
            query = query.where(contacts.c.exercise.is_(True))
        return query

    def _recipients(self, condition: ColumnElement[bool], *, exercise: bool) -> list[Contact]:
        query = self._recipients_query(condition, exercise=exercise)
        return [_contact(row) for row in self._conn.execute(query)]

    def recipients(self, categories: Iterable[Category], *, exercise: bool) -> list[Contact]:
        """The active contacts of these categories (with `exercise`, only those who take part
        in exercises)."""
        values = sorted(c.value for c in categories)
        return (
            self._recipients(contacts.c.category.in_(values), exercise=exercise) if values else []
        )

    def audience_in_chunks(
        self, audience: Audience, *, exercise: bool, size: int, after: ContactKey | None = None
    ) -> Generator[list[Contact], None, None]:
        """The contacts `resolve(audience)` returns, in the same order, `size` at a time and
        read as they are used (a server-side cursor on PostgreSQL): a national fan-out never
        holds every élu in memory at once. With `after`, those that come after that one."""
        values = sorted(c.value for c in AUDIENCE_CATEGORIES[audience])
        if not values:
            return
        query = self._recipients_query(contacts.c.category.in_(values), exercise=exercise)
        if after is not None:
            query = query.where(tuple_(*_ORDER) > tuple_(after.category, after.name, after.id))
        result = self._conn.execute(query.execution_options(yield_per=size))
        with result:
            for rows in result.partitions():
                yield [_contact(row) for row in rows]

    def resolve(self, audience_or_list: Audience | str, exercise: bool) -> list[Contact]:
        """The contacts an audience or a named list reaches: active ones only.

        `elus` → category elu, `media` → category media, `public` → nobody (the public is
        reached through broadcast channels). Any other text names a list (id or name).
        With `exercise=True`, only the contacts who take part in exercises.
        """
        if isinstance(audience_or_list, Audience):
            return self.recipients(AUDIENCE_CATEGORIES[audience_or_list], exercise=exercise)
        members = select(contact_list_members.c.contact_id).where(
            contact_list_members.c.list_id == self.get_list(audience_or_list).id
        )
        return self._recipients(contacts.c.id.in_(members), exercise=exercise)

    def set_active(self, contact_id: str, active: bool, *, now: datetime) -> Upserted:
        """Deactivate or reactivate a contact (its data otherwise unchanged)."""
        current = self.get(contact_id)
        return self.replace(contact_id, replace(current.data(), active=active), now=now)
