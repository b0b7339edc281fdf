"""The demonstration database's marker and the outbox of its local demonstration channels.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demonstration",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demonstration")),
    )
    op.create_table(
        "demo_outbox",
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("crisis_id", sa.String(length=36), nullable=True),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_demo_outbox")),
    )
    op.create_index("ix_demo_outbox_sent_at", "demo_outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_demo_outbox_sent_at", table_name="demo_outbox")
    op.drop_table("demo_outbox")
    op.drop_table("demonstration")
