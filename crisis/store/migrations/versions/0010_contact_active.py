"""Contacts can be deactivated: an inactive contact stays in the directory and receives nothing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every contact known so far is active: the default fills them, then goes.
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("contacts") as batch:
        batch.alter_column("active", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("active")
