"""A refused form's errors, by field: every one of them, for the fields and the summary."""

from __future__ import annotations

from crisis.domain.contacts import InvalidContacts
from crisis.domain.errors import InvalidFields, InvalidInput


def field_errors(error: InvalidInput) -> dict[str, str]:
    """Field → French reason, for every field the service layer refused."""
    if isinstance(error, InvalidFields):
        return dict(error.fields)
    if isinstance(error, InvalidContacts):
        found: dict[str, str] = {}
        for problem in error.problems:
            reason = problem.reason[:1].upper() + problem.reason[1:] + "."
            found[problem.field] = (
                f"{found[problem.field]} {reason}" if problem.field in found else reason
            )
        return found
    return {error.field: error.message}
