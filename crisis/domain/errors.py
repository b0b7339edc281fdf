"""Domain errors carry a sentence a duty officer understands (in French)."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):  # noqa: N818 - the name says what the caller did wrong
    """Bad input: answered with 422, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Conflict(DomainError):  # noqa: N818
    """The request contradicts the current state: answered with 409."""


class NotFound(DomainError):  # noqa: N818
    """The thing asked for does not exist: answered with 404."""


class Forbidden(DomainError):  # noqa: N818
    """The actor may not do this (their role, or not their own page): answered with 403."""
