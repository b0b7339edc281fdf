"""Large fan-outs continued in the background, resumable after a restart.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fanouts",
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("audience_index", sa.Integer(), nullable=False),
        sa.Column("after_category", sa.String(16), nullable=True),
        sa.Column("after_name", sa.String(200), nullable=True),
        sa.Column("after_id", sa.String(36), nullable=True),
        sa.Column("by_channel", sa.JSON(), nullable=False),
        sa.Column("unreachable", sa.Integer(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_fanouts_message_id_messages"
        ),
        sa.ForeignKeyConstraint(["crisis_id"], ["crises.id"], name="fk_fanouts_crisis_id_crises"),
        sa.PrimaryKeyConstraint("message_id", name="pk_fanouts"),
    )


def downgrade() -> None:
    op.drop_table("fanouts")
