"""Commands on the directory of recipients and the named lists."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from crisis.domain.commands import Command


@dataclass(frozen=True, slots=True)
class ContactInput:
    """One contact as typed by someone: checked by the handler, like a CSV row."""

    name: str
    category: str
    email: str | None = None
    mobile: str | None = None
    telegram_chat_id: str | None = None
    commune: str | None = None
    fonction: str | None = None
    exercise: bool = False

    def as_row(self) -> dict[str, str | None]:
        return {
            "nom": self.name,
            "categorie": self.category,
            "email": self.email,
            "mobile": self.mobile,
            "telegram": self.telegram_chat_id,
            "commune": self.commune,
            "fonction": self.fonction,
            "exercice": "oui" if self.exercise else "non",
        }


@dataclass(frozen=True, slots=True)
class ImportContacts(Command):
    """Import a CSV file: all of it, or (skip_invalid) its valid rows."""

    file_name: str
    content: bytes
    skip_invalid: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def journal_payload(self) -> Any:
        # The file holds personal data: the journal keeps its name and fingerprint only.
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "size_bytes": len(self.content),
            "skip_invalid": self.skip_invalid,
        }


@dataclass(frozen=True, slots=True)
class CreateContact(Command):
    contact: ContactInput


@dataclass(frozen=True, slots=True)
class UpdateContact(Command):
    contact_id: str
    contact: ContactInput


@dataclass(frozen=True, slots=True)
class CreateContactList(Command):
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class AddToContactList(Command):
    list_ref: str  # id or name
    contact_refs: tuple[str, ...]  # id, e-mail or mobile of each contact


@dataclass(frozen=True, slots=True)
class RemoveFromContactList(Command):
    list_ref: str
    contact_refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeactivateContact(Command):
    """Stop sending anything to a contact, who stays in the directory (and its history)."""

    contact_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReactivateContact(Command):
    contact_id: str
