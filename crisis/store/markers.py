"""The store's change marker for the list of open events (`CrisisRepository.change_marker`)."""

from __future__ import annotations

from typing import NamedTuple


class Marker(NamedTuple):
    """The journal's newest row id, the number of journal entries committed, the number of
    clock alerts. Equal markers: nothing the list shows was committed in between."""

    last_entry_id: int
    entries: int
    alerts: int


def only_these_appended(counted: tuple[int, int, int], since: Marker, marker: Marker) -> bool:
    """Whether what was committed between two markers is exactly the journal's entries in
    their id range, all of the kinds asked for, and nothing else: `counted` is (entries in
    the range, entries of other kinds in it, entries committed), read in one statement after
    `marker`. An entry committed late with a lower id, or anything committed after `marker`,
    makes the counts disagree: the caller then reads the list again."""
    in_range, of_other_kinds, committed = counted
    return (
        marker.alerts == since.alerts
        and of_other_kinds == 0
        and committed == marker.entries
        and in_range == marker.entries - since.entries
    )
