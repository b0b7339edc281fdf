"""Messages, the delivery outbox with its attempts, and the service's own publications.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("msg_type", sa.String(16), nullable=False),
        sa.Column("references_id", sa.String(36), nullable=True),
        sa.Column("audiences", sa.JSON(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["crisis_id"], ["crises.id"], name="fk_messages_crisis_id_crises"),
        sa.ForeignKeyConstraint(
            ["references_id"], ["messages.id"], name="fk_messages_references_id_messages"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
    )
    op.create_index("ix_messages_crisis_id", "messages", ["crisis_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient_kind", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(400), nullable=False),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("contact_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(120), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("provider_message_id", sa.String(200), nullable=True),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("fallback_of", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_deliveries_message_id_messages"
        ),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name="fk_deliveries_crisis_id_crises"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_deliveries_contact_id_contacts"
        ),
        sa.ForeignKeyConstraint(
            ["fallback_of"], ["deliveries.id"], name="fk_deliveries_fallback_of_deliveries"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "channel", "next_attempt_at"])
    op.create_index("ix_deliveries_message_id", "deliveries", ["message_id"])
    op.create_index("ix_deliveries_crisis_id", "deliveries", ["crisis_id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(120), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("retry_after", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_delivery_attempts_delivery_id_deliveries"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
    )
    op.create_index("ix_delivery_attempts_delivery_id", "delivery_attempts", ["delivery_id"])
    op.create_table(
        "publications",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("crisis_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("identifier", sa.String(200), nullable=False),
        sa.Column("msg_type", sa.String(16), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_publications_delivery_id_deliveries"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_publications_message_id_messages"
        ),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crises.id"], name="fk_publications_crisis_id_crises"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_publications"),
        sa.UniqueConstraint("delivery_id", name="uq_publications_delivery_id"),
    )
    op.create_index("ix_publications_kind", "publications", ["kind", "exercise", "published_at"])


def downgrade() -> None:
    for table in ("publications", "delivery_attempts", "deliveries", "messages"):
        op.drop_table(table)
