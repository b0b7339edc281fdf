"""Acknowledgement links in the store: the hash of each token, its page, member and expiry
(and the links of the approvers' pages, which lead to the message after sign-in).

Tokens are minted when the deliveries of a page are claimed (`personalise_claimed`): the
stored message keeps its placeholder, the clear token travels only to the channel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from channels.dispatcher import ClaimedDelivery
from crisis.domain.ack_links import holds_placeholder, new_token, token_hash, with_token
from crisis.store.tables import ack_links, approval_links, approval_pages, callout_pages


@dataclass(frozen=True, slots=True)
class AckLink:
    token_hash: str
    page_id: str
    member_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


def _link(row: Any) -> AckLink:
    return AckLink(
        token_hash=row.token_hash,
        page_id=row.page_id,
        member_id=row.member_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


class AckLinkRepository:
    """Mixed into `OncallRepository`, which holds the connection."""

    _conn: Connection

    def ack_link(self, hashed: str) -> AckLink | None:
        row = self._conn.execute(select(ack_links).where(ack_links.c.token_hash == hashed)).first()
        return None if row is None else _link(row)

    def use_ack_link(self, hashed: str, *, at: datetime) -> bool:
        """Mark the link used; False when it was used already (by a concurrent request too)."""
        result = self._conn.execute(
            update(ack_links)
            .where(ack_links.c.token_hash == hashed, ack_links.c.used_at.is_(None))
            .values(used_at=at)
        )
        return result.rowcount == 1


def personalise_claimed(
    conn: Connection, claimed: Sequence[ClaimedDelivery], *, now: datetime
) -> list[ClaimedDelivery]:
    """Each claimed delivery of a page, with a token of its own in place of the placeholder
    (and the token's hash stored); the other deliveries as they are."""
    waiting = [d for d in claimed if holds_placeholder(d.text) or holds_placeholder(d.html)]
    if not waiting:
        return list(claimed)
    message_ids = sorted({d.message_id for d in waiting})
    pages = {
        row.message_id: row
        for row in conn.execute(
            select(
                callout_pages.c.id,
                callout_pages.c.message_id,
                callout_pages.c.member_id,
                callout_pages.c.link_expires_at,
            ).where(callout_pages.c.message_id.in_(message_ids))
        )
    }
    # An approver's page: its link leads to the message after sign-in (approval_links).
    approver_pages = {
        row.message_id: row
        for row in conn.execute(
            select(
                approval_pages.c.id, approval_pages.c.message_id, approval_pages.c.link_expires_at
            ).where(approval_pages.c.message_id.in_(message_ids))
        )
    }
    done: list[ClaimedDelivery] = []
    for delivery in claimed:
        page = pages.get(delivery.message_id) or approver_pages.get(delivery.message_id)
        if (
            page is None
            or page.link_expires_at is None
            or not (holds_placeholder(delivery.text) or holds_placeholder(delivery.html))
        ):
            done.append(delivery)
            continue
        token = new_token()
        if delivery.message_id in pages:
            conn.execute(
                insert(ack_links).values(
                    token_hash=token_hash(token),
                    page_id=page.id,
                    member_id=page.member_id,
                    created_at=now,
                    expires_at=page.link_expires_at,
                )
            )
        else:
            conn.execute(
                insert(approval_links).values(
                    token_hash=token_hash(token),
                    page_id=page.id,
                    created_at=now,
                    expires_at=page.link_expires_at,
                )
            )
        done.append(
            dataclasses.replace(
                delivery,
                text=with_token(delivery.text, token),
                html=None if delivery.html is None else with_token(delivery.html, token),
            )
        )
    return done
