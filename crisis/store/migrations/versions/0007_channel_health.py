"""Channel health: consecutive failures and outages, for one alert per outage.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_health",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("down_since", UTCDateTime(), nullable=True),
        sa.Column("last_accepted_at", UTCDateTime(), nullable=True),
        sa.Column("gave_up_alerted", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "exercise", name="pk_channel_health"),
    )


def downgrade() -> None:
    op.drop_table("channel_health")
