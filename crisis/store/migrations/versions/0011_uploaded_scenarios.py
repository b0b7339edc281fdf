"""Scenarios uploaded to the console, kept in the database.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drill_scenarios",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(120), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_drill_scenarios"),
    )


def downgrade() -> None:
    op.drop_table("drill_scenarios")
