"""Placeholder for the drafts migration of the approval workflow branch (feat-workflow).

The real 0004 comes from that branch and replaces this file at merge; this one only keeps the
revision chain 0003 → 0004 → 0005 working on the on-call branch. It changes nothing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
