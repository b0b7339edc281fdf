"""The roles a user holds; which role may run which command is in `crisis.services.registry`."""

from __future__ import annotations

from crisis.domain.vocabulary import Role as Role
from crisis.labels import USER_ROLE_LABELS

# The labels are those of the French vocabulary (crisis.labels), keyed by role.
ROLE_LABELS: dict[Role, str] = {role: USER_ROLE_LABELS[role.value] for role in Role}
