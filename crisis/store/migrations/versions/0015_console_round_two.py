"""The console's second round: events opened by mistake; growing sign-in delays instead
of the lockout (per name typed and per address), so the users' lockout columns go.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

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
    op.create_table(
        "signin_failures",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.Column("refused_early", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_signin_failures"),
    )
    op.create_index("ix_signin_failures_last_failure_at", "signin_failures", ["last_failure_at"])
    with op.batch_alter_table("users") as batch:
        batch.drop_column("failed_signins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("failed_signins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
    op.drop_index("ix_signin_failures_last_failure_at", table_name="signin_failures")
    op.drop_table("signin_failures")
    with op.batch_alter_table("crises") as batch:
        batch.drop_column("opened_by_mistake")
