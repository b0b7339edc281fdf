"""The roles a user holds; which role may run which command is in `crisis.services.registry`."""

from __future__ import annotations

from enum import StrEnum

from crisis.labels import USER_ROLE_LABELS


class Role(StrEnum):
    DUTY_OFFICER = "duty_officer"
    COMM_CELL = "comm_cell"
    PREFECT = "prefect"
    AUDITOR = "auditor"
    ADMIN = "admin"


# The labels are those of the French vocabulary (crisis.labels), keyed by role.
ROLE_LABELS: dict[Role, str] = {role: USER_ROLE_LABELS[role.value] for role in Role}
