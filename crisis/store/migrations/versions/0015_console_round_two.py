"""The console's second round: events opened by mistake.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every event closed so far was a real one: the default fills them, then goes.
    with op.batch_alter_table("crises") as batch:
        batch.add_column(
            sa.Column("opened_by_mistake", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("crises") as batch:
        batch.alter_column("opened_by_mistake", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("crises") as batch:
        batch.drop_column("opened_by_mistake")
