"""The administrator's commands on the console's accounts (journalled on the `system` chain)."""

from __future__ import annotations

from dataclasses import dataclass

from crisis.domain.commands import Command


@dataclass(frozen=True, slots=True)
class ChangeRole(Command):
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class RevokeApiToken(Command):
    """The user's API token stops working at once; nobody learns the one that replaces it."""

    name: str


@dataclass(frozen=True, slots=True)
class UnlockAccount(Command):
    """Lift the delays after repeated wrong passwords, without changing the password."""

    name: str


@dataclass(frozen=True, slots=True)
class DeactivateUser(Command):
    """The user may no longer sign in: their sessions end at once, their API token is refused."""

    name: str


@dataclass(frozen=True, slots=True)
class ReactivateUser(Command):
    name: str
