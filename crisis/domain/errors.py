"""Domain errors carry a sentence a duty officer understands (in French)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):  # noqa: N818 - the name says what the caller did wrong
    """Bad input: answered with 422, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidFields(InvalidInput):
    """Several fields wrong at once: answered with 422, every field and its reason listed
    (the console shows each beside its field, and all of them in a summary on top)."""

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        first = next(iter(fields))
        super().__init__(first, message or " ".join(fields.values()))
        self.fields = fields


class FieldCheck:
    """Collects every field's problem instead of stopping at the first one."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def read(self, read: Callable[[], T]) -> T | None:
        """The value read, or None with its problem noted (the other fields are read too)."""
        try:
            return read()
        except InvalidFields as several:
            for name, message in several.fields.items():
                self.fields.setdefault(name, message)
        except InvalidInput as error:
            self.fields.setdefault(error.field, error.message)
        return None

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, message)

    def done(self, message: str | None = None) -> None:
        """Raise InvalidFields with every problem noted, if any (`message`: the sentence
        that sums them up, rather than the problems one after the other)."""
        if self.fields:
            raise InvalidFields(dict(self.fields), message)


class Conflict(DomainError):  # noqa: N818
    """The request contradicts the current state: answered with 409."""


class NotFound(DomainError):  # noqa: N818
    """The thing asked for does not exist: answered with 404."""


class Forbidden(DomainError):  # noqa: N818
    """The actor may not do this (their role, or not their own page): answered with 403."""
