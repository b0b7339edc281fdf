"""The cell on call: members, rota, Telegram binding codes, callouts, rounds, pages,
handovers, and the CIP with its numéro unique.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_members",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contact_id", sa.String(36), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("mobile", sa.String(20), nullable=True),
        sa.Column("telegram_chat_id", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_oncall_members_contact_id_contacts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_oncall_members"),
        sa.UniqueConstraint("key", name="uq_oncall_members_key"),
    )
    op.create_table(
        "oncall_shifts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["oncall_members.id"], name="fk_oncall_shifts_member_id_oncall_members"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_oncall_shifts"),
    )
    op.create_index("ix_oncall_shifts_role", "oncall_shifts", ["role", "starts_at"])
    op.create_table(
        "oncall_bind_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["oncall_members.id"],
            name="fk_oncall_bind_codes_member_id_oncall_members",
        ),
        sa.PrimaryKeyConstraint("code_hash", name="pk_oncall_bind_codes"),
    )
    op.create_table(
        "callouts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("team", sa.String(8), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("started_by", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("quorum", sa.JSON(), nullable=False),
        sa.Column("ack_minutes", sa.Integer(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("quorum_reached_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["crisis_id"], ["crises.id"], name="fk_callouts_crisis_id_crises"),
        sa.PrimaryKeyConstraint("id", name="pk_callouts"),
        sa.UniqueConstraint("crisis_id", "team", name="uq_callouts_crisis_team"),
    )
    op.create_table(
        "callout_rounds",
        sa.Column("callout_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["callout_id"], ["callouts.id"], name="fk_callout_rounds_callout_id_callouts"
        ),
        sa.PrimaryKeyConstraint("callout_id", "role", "round", name="pk_callout_rounds"),
    )
    op.create_index("ix_callout_rounds_due_at", "callout_rounds", ["due_at"])
    op.create_table(
        "callout_pages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("callout_id", sa.String(36), nullable=False),
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=True),
        sa.Column("paged_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("ack_via", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["callout_id"], ["callouts.id"], name="fk_callout_pages_callout_id_callouts"
        ),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name="fk_callout_pages_crisis_id_crises"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["oncall_members.id"], name="fk_callout_pages_member_id_oncall_members"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_callout_pages_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_callout_pages"),
        sa.UniqueConstraint("callout_id", "role", "member_id", name="uq_callout_pages_once"),
    )
    op.create_index("ix_callout_pages_member_id", "callout_pages", ["member_id"])
    op.create_table(
        "oncall_handovers",
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name="fk_oncall_handovers_crisis_id_crises"
        ),
        sa.PrimaryKeyConstraint("crisis_id", "role", "at", name="pk_oncall_handovers"),
    )
    op.create_table(
        "cip_activations",
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("numero_unique", sa.String(32), nullable=False),
        sa.Column("ordered_at", UTCDateTime(), nullable=False),
        sa.Column("ordered_by", sa.String(120), nullable=False),
        sa.Column("operational_at", UTCDateTime(), nullable=True),
        sa.Column("deactivated_at", UTCDateTime(), nullable=True),
        sa.Column("deactivated_by", sa.String(120), nullable=True),
        sa.Column("deactivation_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name="fk_cip_activations_crisis_id_crises"
        ),
        sa.PrimaryKeyConstraint("crisis_id", name="pk_cip_activations"),
    )


def downgrade() -> None:
    op.drop_table("cip_activations")
    op.drop_table("oncall_handovers")
    op.drop_index("ix_callout_pages_member_id", table_name="callout_pages")
    op.drop_table("callout_pages")
    op.drop_index("ix_callout_rounds_due_at", table_name="callout_rounds")
    op.drop_table("callout_rounds")
    op.drop_table("callouts")
    op.drop_table("oncall_bind_codes")
    op.drop_index("ix_oncall_shifts_role", table_name="oncall_shifts")
    op.drop_table("oncall_shifts")
    op.drop_table("oncall_members")
