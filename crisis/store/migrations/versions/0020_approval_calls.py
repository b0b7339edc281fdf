"""The approvers' order and the calls of the approvers of submitted messages.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approvers",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_approvers_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_approvers_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_approvers")),
    )
    op.create_table(
        "approval_calls",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("crisis_id", sa.String(length=36), nullable=False),
        sa.Column("draft_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=True),
        sa.Column("approvers", sa.JSON(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("stop_reason", sa.String(length=16), nullable=True),
        sa.Column("stopped_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name=op.f("fk_approval_calls_crisis_id_crises")
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["message_drafts.id"],
            name=op.f("fk_approval_calls_draft_id_message_drafts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_calls")),
    )
    op.create_index("ix_approval_calls_draft_id", "approval_calls", ["draft_id"])
    op.create_index("ix_approval_calls_due_at", "approval_calls", ["due_at"])
    op.create_table(
        "approval_pages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("crisis_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("paged_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("ack_via", sa.String(length=16), nullable=True),
        sa.Column("declined_at", UTCDateTime(), nullable=True),
        sa.Column("link_expires_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["approval_calls.id"],
            name=op.f("fk_approval_pages_call_id_approval_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name=op.f("fk_approval_pages_crisis_id_crises")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_approval_pages_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_approval_pages_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_pages")),
        sa.UniqueConstraint("call_id", "step", name="uq_approval_pages_step"),
    )
    op.create_index("ix_approval_pages_message_id", "approval_pages", ["message_id"])
    op.create_table(
        "approval_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("page_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["approval_pages.id"],
            name=op.f("fk_approval_links_page_id_approval_pages"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_approval_links")),
    )
    op.create_index("ix_approval_links_page_id", "approval_links", ["page_id"])


def downgrade() -> None:
    op.drop_index("ix_approval_links_page_id", table_name="approval_links")
    op.drop_table("approval_links")
    op.drop_index("ix_approval_pages_message_id", table_name="approval_pages")
    op.drop_table("approval_pages")
    op.drop_index("ix_approval_calls_due_at", table_name="approval_calls")
    op.drop_index("ix_approval_calls_draft_id", table_name="approval_calls")
    op.drop_table("approval_calls")
    op.drop_table("approvers")
