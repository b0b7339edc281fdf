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
class SetUserEmail(Command):
    """The address a first ProConnect sign-in is matched by (empty: none)."""

    name: str
    email: str


@dataclass(frozen=True, slots=True)
class UnbindIdentity(Command):
    """Forget the ProConnect identity the account is bound to; the next ProConnect sign-in
    is matched by e-mail again."""

    name: str


@dataclass(frozen=True, slots=True)
class DeactivateUser(Command):
    """The user may no longer sign in: their sessions end at once, their API token is refused."""

    name: str


@dataclass(frozen=True, slots=True)
class RevokePasskeys(Command):
    """All the passkeys of an account stop working (a lost or stolen phone), and the
    sessions they opened end."""

    name: str


@dataclass(frozen=True, slots=True)
class ReactivateUser(Command):
    name: str
