"""Growing delays between failed sign-ins, per name typed and per address.

No account is ever locked: after a few free failures, each further attempt must wait a delay
that doubles with each failure in a row (1 s, 2 s, 4 s…), up to a ceiling. The préfète whose
name someone keeps trying waits at most the ceiling of an account (a minute by default)
between two attempts; the address that keeps guessing is slowed much more.

The delays are kept per name as typed (case and surrounding spaces aside), whether or not an
account has that name: the answer never tells an existing account from an unknown one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Failures older than this are forgotten: the next failure starts a new count.
FORGET_AFTER = timedelta(hours=1)


class Scope(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Policy:
    free_failures: int  # failures in a row before the first delay
    ceiling_seconds: float  # the longest delay

    def delay(self, failures: int) -> timedelta:
        """The wait after `failures` failures in a row: none, then 1 s doubling to the ceiling."""
        if failures < self.free_failures:
            return timedelta(0)
        exponent = min(failures - self.free_failures, 62)
        return timedelta(seconds=min(self.ceiling_seconds, float(2**exponent)))


@dataclass(frozen=True, slots=True)
class FailureCount:
    scope: Scope
    key: str  # the name typed (folded) or the address
    failures: int
    last_failure_at: datetime
    refused_early: int  # attempts refused for coming before the delay ran out

    def current(self, now: datetime) -> int:
        """The failures in a row that still count."""
        return 0 if now - self.last_failure_at >= FORGET_AFTER else self.failures


def account_key(name: str) -> str:
    return name.strip().casefold()[:200]


def next_attempt_at(count: FailureCount, policy: Policy, now: datetime) -> datetime | None:
    """When the next attempt is allowed, if that is still to come."""
    failures = count.current(now)
    if not failures:
        return None
    allowed = count.last_failure_at + policy.delay(failures)
    return allowed if allowed > now else None


def wait_message(until: datetime, now: datetime) -> str:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    if seconds < 120:
        wait = f"{seconds} seconde{'s' if seconds > 1 else ''}"
    else:
        wait = f"{math.ceil(seconds / 60)} minutes"
    return (
        "Trop de tentatives de connexion infructueuses : patientez "
        f"{wait} avant de réessayer. Votre compte n'est pas bloqué."
    )
