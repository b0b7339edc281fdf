"""SMS delivery receipts: what the handset received, per delivery and per part.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("handset_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("handset_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("handset_reason", sa.Text(), nullable=True))
    op.create_table(
        "delivery_parts",
        sa.Column("route", sa.String(64), nullable=False),
        sa.Column("provider_message_id", sa.String(200), nullable=False),
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_delivery_parts_delivery_id_deliveries"
        ),
        sa.PrimaryKeyConstraint("route", "provider_message_id", name="pk_delivery_parts"),
    )
    op.create_index("ix_delivery_parts_delivery_id", "delivery_parts", ["delivery_id"])
    op.create_table(
        "waiting_receipts",
        sa.Column("route", sa.String(64), nullable=False),
        sa.Column("provider_message_id", sa.String(200), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("error_code", sa.String(16), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("route", "provider_message_id", name="pk_waiting_receipts"),
    )


def downgrade() -> None:
    op.drop_table("waiting_receipts")
    op.drop_index("ix_delivery_parts_delivery_id", table_name="delivery_parts")
    op.drop_table("delivery_parts")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("handset_reason")
        batch.drop_column("handset_at")
        batch.drop_column("handset_status")
