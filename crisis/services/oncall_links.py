"""Checking a personal acknowledgement link (`/ack/{token}`) against the store.

A link is found by the SHA-256 of its token. It is bound to one page and one member, serves
once, and stops working at its expiry (`CRISIS_ACK_LINK_MINUTES` after the page) or when its
call-out is over: quorum reached, cell (or CIP) declared operational, event no longer active.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crisis.domain.ack_links import token_hash
from crisis.domain.errors import Conflict
from crisis.domain.oncall import Team
from crisis.domain.vocabulary import ClockName, CrisisState
from crisis.store.ack_links_repository import AckLink
from crisis.store.callout_repository import Page
from crisis.store.unit_of_work import UnitOfWork

# A real token is 43 ASCII characters; anything much longer is refused before any lookup.
MAX_TOKEN_LENGTH = 512


class LinkProblem(StrEnum):
    FORGED = "forged"
    EXPIRED = "expired"
    USED = "used"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class LinkCheck:
    link: AckLink | None
    page: Page | None
    problem: LinkProblem | None


class LinkRefused(Conflict):
    """A link that no longer acknowledges anything; `problem` says why."""

    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(f"Lien d'accusé de réception refusé ({problem.value}).")
        self.problem = problem


def hash_of(token: str) -> str | None:
    """The hash to look a link up by; None for what cannot be a token at all."""
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
        return None
    return token_hash(token)


def check_link(uow: UnitOfWork, hashed: str | None, now: datetime) -> LinkCheck:
    link = None if hashed is None else uow.oncall.ack_link(hashed)
    page = None if link is None else uow.oncall.page(link.page_id)
    if link is None or page is None or page.member_id != link.member_id:
        return LinkCheck(None, None, LinkProblem.FORGED)
    if link.used_at is not None or page.acknowledged_at is not None:
        return LinkCheck(link, page, LinkProblem.USED)
    if now >= link.expires_at:
        return LinkCheck(link, page, LinkProblem.EXPIRED)
    if callout_over(uow, page):
        return LinkCheck(link, page, LinkProblem.CLOSED)
    return LinkCheck(link, page, None)


def callout_over(uow: UnitOfWork, page: Page) -> bool:
    """The page's call-out waits for no answer any more."""
    callout = uow.oncall.callout(page.callout_id)
    if callout is None or callout.quorum_reached_at is not None:
        return True
    crisis = uow.crises.get(page.crisis_id)
    if crisis.state is not CrisisState.COD_ACTIVE:
        return True
    clock = crisis.clocks.get(ClockName.CELL if callout.team is Team.CELL else ClockName.CIP)
    if clock is not None and clock.met_at is not None:
        return True
    if callout.team is Team.CIP:
        cip = uow.oncall.cip(page.crisis_id)
        return cip is not None and cip.deactivated_at is not None
    return False
