"""Claims read a partial index of the deliveries still due; the delivery board is paged.

The index on (status, channel, next_attempt_at) kept an entry for every delivery, done or
not: after a national fan-out the claim walked hundreds of thousands of dead entries to find
nothing. The new one holds only pending and in-flight deliveries; an in-flight delivery's
next_attempt_at becomes its lease expiry, so one range of the index finds every claimable row.
The board of a message is read a page at a time, by channel then id: one range of
(message_id, channel, id).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

STILL_DUE = sa.text("status IN ('pending', 'in_flight')")


def upgrade() -> None:
    op.execute(
        "UPDATE deliveries SET next_attempt_at = claimed_until "
        "WHERE status = 'in_flight' AND claimed_until IS NOT NULL"
    )
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.create_index(
        "ix_deliveries_still_due",
        "deliveries",
        ["channel", "next_attempt_at", "id"],
        sqlite_where=STILL_DUE,
        postgresql_where=STILL_DUE,
    )
    op.drop_index("ix_deliveries_message_id", table_name="deliveries")
    op.create_index("ix_deliveries_message_board", "deliveries", ["message_id", "channel", "id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_message_board", table_name="deliveries")
    op.create_index("ix_deliveries_message_id", "deliveries", ["message_id"])
    op.drop_index("ix_deliveries_still_due", table_name="deliveries")
    op.create_index("ix_deliveries_due", "deliveries", ["status", "channel", "next_attempt_at"])
