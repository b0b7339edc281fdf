"""Programme entries' cron rules in standard cron (0 or 7 = Sunday), keeping their days.

Before this revision APScheduler read the rules: 0 = Monday … 6 = Sunday, and a day had to match
both the day of the month and the day of the week. Each stored cron rule is rewritten into the
rule that gives the same days now (`crisis.store.legacy_cron`): standard cron, or an RRULE when
both day fields were restricted or the day was `last`.

Going back rewrites standard cron rules into APScheduler's reading; a rule firing on a day that
matches either day field has none, and stops the downgrade with its entry named.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crisis.domain.errors import InvalidInput
from crisis.store.legacy_cron import from_apscheduler, to_apscheduler

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_CRON_RULES = sa.text("SELECT id, name, rule FROM drill_schedules WHERE rule_kind = 'cron'")
_REWRITE = sa.text("UPDATE drill_schedules SET rule_kind = :kind, rule = :rule WHERE id = :id")


def upgrade() -> None:
    connection = op.get_bind()
    for schedule_id, _name, rule in connection.execute(_CRON_RULES).all():
        try:
            kind, standard = from_apscheduler(rule)
        except InvalidInput:  # APScheduler could not read it either: it never gave a date
            continue
        connection.execute(_REWRITE, {"kind": kind, "rule": standard, "id": schedule_id})


def downgrade() -> None:
    connection = op.get_bind()
    for schedule_id, name, rule in connection.execute(_CRON_RULES).all():
        old = to_apscheduler(rule)
        if old is None:
            raise RuntimeError(
                f"L'entrée du programme « {name} » ({schedule_id}) se joue les jours qui "
                f"satisfont l'un ou l'autre champ de jour (« {rule} »), ce qu'APScheduler ne sait "
                "pas lire : retirez-la avant de revenir à la révision 0012."
            )
        connection.execute(_REWRITE, {"kind": "cron", "rule": old, "id": schedule_id})
