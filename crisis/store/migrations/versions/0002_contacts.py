"""Contacts and audiences: the directory of recipients and named lists.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("mobile", sa.String(20), nullable=True),
        sa.Column("telegram_chat_id", sa.String(32), nullable=True),
        sa.Column("commune", sa.String(120), nullable=True),
        sa.Column("fonction", sa.String(200), nullable=True),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
        sa.UniqueConstraint("key", name="uq_contacts_key"),
    )
    op.create_index("ix_contacts_category", "contacts", ["category"])
    op.create_table(
        "contact_lists",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact_lists"),
        sa.UniqueConstraint("name_key", name="uq_contact_lists_name_key"),
    )
    op.create_table(
        "contact_list_members",
        sa.Column("list_id", sa.String(36), nullable=False),
        sa.Column("contact_id", sa.String(36), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["contact_lists.id"], name="fk_contact_list_members_list_id_contact_lists"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_contact_list_members_contact_id_contacts"
        ),
        sa.PrimaryKeyConstraint("list_id", "contact_id", name="pk_contact_list_members"),
    )
    op.create_index("ix_contact_list_members_contact_id", "contact_list_members", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_list_members_contact_id", table_name="contact_list_members")
    op.drop_table("contact_list_members")
    op.drop_table("contact_lists")
    op.drop_index("ix_contacts_category", table_name="contacts")
    op.drop_table("contacts")
