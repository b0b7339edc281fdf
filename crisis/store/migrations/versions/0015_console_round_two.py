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
    # Without a table rebuild (SQLite adds and drops these columns in place): rebuilding
    # `crises` or `users`, which other tables reference, fails once they hold rows. Every
    # event closed so far was a real one: the default says so, for them and the new ones.
    op.add_column(
        "crises",
        sa.Column("opened_by_mistake", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
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
    op.drop_column("users", "failed_signins")
    op.drop_column("users", "locked_until")


def downgrade() -> None:
    op.add_column(
        "users", sa.Column("failed_signins", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("users", sa.Column("locked_until", UTCDateTime(), nullable=True))
    op.drop_index("ix_signin_failures_last_failure_at", table_name="signin_failures")
    op.drop_table("signin_failures")
    op.drop_column("crises", "opened_by_mistake")
