"""The roles a user holds; which role may run which command is in `crisis.services.registry`."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DUTY_OFFICER = "duty_officer"
    COMM_CELL = "comm_cell"
    PREFECT = "prefect"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.DUTY_OFFICER: "cadre de permanence",
    Role.COMM_CELL: "cellule de communication",
    Role.PREFECT: "préfet ou délégué",
    Role.AUDITOR: "auditeur",
    Role.ADMIN: "administrateur",
}
