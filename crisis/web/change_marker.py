"""The dashboard's change marker: an unchanged list of open events answers 304, unrendered.

Every open console polls `/tableau/evenements` each second. What the fragment shows changes
only when something is written (a journal entry, a clock alert) or when a running clock
passes its deadline; the seconds of the countdowns are counted in the browser from the
deadlines themselves (console.js). So the fragment's entity tag is a digest of what it shows
minus those seconds, and it is remembered against the store's cheap marker
(`CrisisRepository.change_marker`) until the next deadline: a poll that finds the marker
unchanged and holds the current tag gets an empty 304 after one statement, without reading
the events or rendering anything. During a fan-out the journal moves at every batch: when all
it gained since the known tag are entries the list does not show (`UNSEEN_KINDS`, read on a
range of the primary key), the tag still holds.

One `ChangeMarker` per application (in `app.state`): nothing process-wide. The fragment of an
event's clocks is tagged the same way, against that event's own marker (`EventMarkers`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import crisis
from crisis.store.markers import Marker
from crisis.web.views import CrisisSummary

# The service's clock at the answer: the browser counts down on it, not on its own.
SERVICE_TIME_HEADER = "X-Service-Time"
# What a fan-out journals at each batch and the list of open events does not show (a clock
# met by an acceptance, an alert, journal entries of their own, do change it).
UNSEEN_KINDS = frozenset(
    {
        "command.RecordDeliveryOutcomes",
        "event.DeliveriesAccepted",
        "event.DeliveryFailed",
        "event.DeliveryRequeued",
    }
)


def fingerprint(crises: Sequence[CrisisSummary]) -> str:
    """The entity tag of what the fragment shows, its countdowns' seconds left out."""
    steady = [replace(c, clocks=[k.without_countdown() for k in c.clocks]) for c in crises]
    digest = hashlib.blake2b(repr(steady).encode(), digest_size=12).hexdigest()
    return f'"{crisis.__version__}-{digest}"'


def next_change(crises: Sequence[CrisisSummary], now: datetime) -> datetime | None:
    """The next instant the fragment changes by itself: a running clock's deadline."""
    return min(
        (k.deadline for c in crises for k in c.clocks if k.deadline and k.deadline > now),
        default=None,
    )


@dataclass(frozen=True, slots=True)
class _Known:
    marker: tuple[int, ...]  # a `Marker`, or an event's (version, journal head)
    tag: str
    until: datetime | None


class ChangeMarker:
    """The tag of the fragment as of the store's last marker, until the next deadline."""

    def __init__(self) -> None:
        self._known: _Known | None = None
        self._lock = threading.Lock()

    def tag(self, marker: tuple[int, ...], now: datetime) -> str | None:
        """The current tag, if nothing was written since and no deadline has passed."""
        known = self._known
        if known is None or known.marker != marker:
            return None
        if known.until is not None and now >= known.until:
            return None
        return known.tag

    def moved_from(self, marker: Marker, now: datetime) -> Marker | None:
        """The marker the known tag was taken at, when only the journal has moved since (no
        clock alert, no deadline passed): the caller checks what was appended."""
        known = self._known
        if known is None or not isinstance(known.marker, Marker):
            return None
        if known.marker.alerts != marker.alerts:
            return None
        if known.marker.last_entry_id >= marker.last_entry_id:
            return None
        if known.until is not None and now >= known.until:
            return None
        return known.marker

    def carry(self, since: Marker, marker: Marker) -> str | None:
        """Nothing the list shows was committed since `since`: the known tag holds for the
        new marker (None if another poll moved it meanwhile)."""
        with self._lock:
            known = self._known
            if known is None or known.marker != since:
                return None
            self._known = _Known(marker, known.tag, known.until)
            return known.tag

    def remember(
        self, marker: tuple[int, ...], crises: Sequence[CrisisSummary], now: datetime
    ) -> str:
        tag = fingerprint(crises)
        with self._lock:
            self._known = _Known(marker, tag, next_change(crises, now))
        return tag


class EventMarkers:
    """A `ChangeMarker` per event, for the fragment of its clocks (`/evenements/{id}/horloges`),
    against `CrisisRepository.event_marker`; the events polled most recently, bounded."""

    def __init__(self, max_events: int = 256) -> None:
        self._max = max_events
        self._markers: dict[str, ChangeMarker] = {}
        self._lock = threading.Lock()

    def of(self, crisis_id: str) -> ChangeMarker:
        with self._lock:
            found = self._markers.pop(crisis_id, None)
            if found is None:
                found = ChangeMarker()
                if len(self._markers) >= self._max:
                    del self._markers[next(iter(self._markers))]  # the least recently polled
            self._markers[crisis_id] = found
            return found
