"""The one rule for the times from queueing to the handset: the median (nearest rank, a time
that really occurred) and the worst. The event page (from the store) and the timing report
and indicators (from the journal) all use it."""

from __future__ import annotations

from collections.abc import Iterable


def median_and_worst(seconds: Iterable[float]) -> tuple[float | None, float | None]:
    ordered = sorted(seconds)
    if not ordered:
        return None, None
    return round(ordered[(len(ordered) - 1) // 2], 3), round(ordered[-1], 3)
