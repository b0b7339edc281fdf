"""Initial schema: users, crises, COD activations, clocks, alerts, deliveries, journal.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.UniqueConstraint("token_hash", name="uq_users_token_hash"),
    )
    op.create_table(
        "crises",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("communes", sa.JSON(), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(120), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crises"),
    )
    op.create_index("ix_crises_state", "crises", ["state"])
    op.create_index("ix_crises_reported_at", "crises", ["reported_at"])
    op.create_table(
        "cod_activations",
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=False),
        sa.Column("synergi_ref", sa.String(120), nullable=True),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name="fk_cod_activations_crisis_id_crises"
        ),
        sa.PrimaryKeyConstraint("crisis_id", name="pk_cod_activations"),
    )
    op.create_table(
        "clocks",
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("target_minutes", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("warning_offsets", sa.JSON(), nullable=False),
        sa.Column("met_at", UTCDateTime(), nullable=True),
        sa.Column("met_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["crisis_id"], ["crises.id"], name="fk_clocks_crisis_id_crises"),
        sa.PrimaryKeyConstraint("crisis_id", "name", name="pk_clocks"),
    )
    op.create_table(
        "clock_alerts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("clock", sa.String(16), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name="fk_clock_alerts_crisis_id_crises"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_clock_alerts"),
        sa.UniqueConstraint("crisis_id", "clock", "offset_minutes", name="uq_clock_alerts_once"),
    )
    op.create_table(
        "manual_deliveries",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=False),
        sa.Column("means", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name="fk_manual_deliveries_crisis_id_crises"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_manual_deliveries"),
    )
    op.create_table(
        "journal",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journal"),
        sa.UniqueConstraint("stream", "seq", name="uq_journal_stream_seq"),
    )
    op.create_table(
        "journal_heads",
        sa.Column("stream", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("stream", name="pk_journal_heads"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name="pk_idempotency_keys"),
    )


def downgrade() -> None:
    for table in (
        "idempotency_keys",
        "journal_heads",
        "journal",
        "manual_deliveries",
        "clock_alerts",
        "clocks",
        "cod_activations",
        "crises",
        "users",
    ):
        op.drop_table(table)
