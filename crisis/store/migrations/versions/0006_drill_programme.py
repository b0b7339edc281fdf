"""The exercise programme: recurring drills, their runs and their notices, once each.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drill_schedules",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scenario", sa.String(500), nullable=False),
        sa.Column("scenario_title", sa.String(200), nullable=False),
        sa.Column("rule_kind", sa.String(8), nullable=False),
        sa.Column("rule", sa.String(500), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("removed_by", sa.String(120), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_drill_schedules"),
    )
    op.create_table(
        "drill_runs",
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("occurrence", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("report_dir", sa.String(1000), nullable=True),
        sa.Column("verdict", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("crisis_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["drill_schedules.id"],
            name="fk_drill_runs_schedule_id_drill_schedules",
        ),
        sa.PrimaryKeyConstraint("schedule_id", "occurrence", name="pk_drill_runs"),
    )
    op.create_table(
        "drill_notices",
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("occurrence", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["drill_schedules.id"],
            name="fk_drill_notices_schedule_id_drill_schedules",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_drill_notices_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("schedule_id", "occurrence", name="pk_drill_notices"),
    )


def downgrade() -> None:
    op.drop_table("drill_notices")
    op.drop_table("drill_runs")
    op.drop_table("drill_schedules")
