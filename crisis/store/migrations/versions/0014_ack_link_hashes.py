"""Acknowledgement links stored as hashes: the clear tokens leave the stored page texts.

Earlier versions put a signed token (`payload.signature`, the payload being the page id and
the expiry instant) in clear in each page's message. Each such token becomes a row of
`ack_links` holding its SHA-256, its page, member and expiry (a link already sent keeps
working), and the texts keep a placeholder in its place: a delivery still waiting gets a fresh
token of its own when it is claimed. Going back drops the hashes; the tokens are not restored.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Written out here, not imported: what this migration does must not change with the code.
PLACEHOLDER = "JETON-PERSONNEL-AJOUTE-A-L-ENVOI-----------"
_SIGNED_TOKEN = re.compile(r"/ack/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")

_pages = sa.table(
    "callout_pages",
    sa.column("id", sa.String()),
    sa.column("member_id", sa.String()),
    sa.column("message_id", sa.String()),
    sa.column("paged_at", UTCDateTime()),
    sa.column("acknowledged_at", UTCDateTime()),
    sa.column("link_expires_at", UTCDateTime()),
)
_messages = sa.table("messages", sa.column("id", sa.String()), sa.column("texts", sa.JSON()))
_links = sa.table(
    "ack_links",
    sa.column("token_hash", sa.String()),
    sa.column("page_id", sa.String()),
    sa.column("member_id", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("expires_at", UTCDateTime()),
    sa.column("used_at", UTCDateTime()),
)


def _signed_page_and_expiry(token: str) -> tuple[str, datetime] | None:
    payload = token.partition(".")[0]
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
        page_id, _, expiry = decoded.partition("|")
        return page_id, datetime.fromtimestamp(int(expiry), tz=UTC)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None


def _convert(connection: sa.Connection, page: Any, texts: dict[str, str]) -> dict[str, str]:
    tokens = sorted({t for text in texts.values() for t in _SIGNED_TOKEN.findall(text)})
    for token in tokens:
        signed = _signed_page_and_expiry(token)
        if signed is None or signed[0] != page.id:
            continue  # not this page's: masked below, never a working link
        expires_at = signed[1]
        connection.execute(
            sa.insert(_links).values(
                token_hash=hashlib.sha256(token.encode("ascii")).hexdigest(),
                page_id=page.id,
                member_id=page.member_id,
                created_at=page.paged_at,
                expires_at=expires_at,
                used_at=page.acknowledged_at,
            )
        )
        connection.execute(
            sa.update(_pages).where(_pages.c.id == page.id).values(link_expires_at=expires_at)
        )
    return {
        name: _SIGNED_TOKEN.sub(f"/ack/{PLACEHOLDER}", text) if isinstance(text, str) else text
        for name, text in texts.items()
    }


def upgrade() -> None:
    with op.batch_alter_table("callout_pages") as batch:
        batch.add_column(sa.Column("link_expires_at", UTCDateTime(), nullable=True))
    op.create_table(
        "ack_links",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("page_id", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"], ["callout_pages.id"], name="fk_ack_links_page_id_callout_pages"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["oncall_members.id"], name="fk_ack_links_member_id_oncall_members"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_ack_links"),
    )
    op.create_index("ix_ack_links_page_id", "ack_links", ["page_id"])
    connection = op.get_bind()
    pages = connection.execute(
        sa.select(_pages, _messages.c.texts).join(_messages, _messages.c.id == _pages.c.message_id)
    ).all()
    for page in pages:
        texts = dict(page.texts or {})
        converted = _convert(connection, page, texts)
        if converted != texts:
            connection.execute(
                sa.update(_messages)
                .where(_messages.c.id == page.message_id)
                .values(texts=converted)
            )


def downgrade() -> None:
    op.drop_index("ix_ack_links_page_id", table_name="ack_links")
    op.drop_table("ack_links")
    with op.batch_alter_table("callout_pages") as batch:
        batch.drop_column("link_expires_at")
