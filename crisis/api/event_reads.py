"""`GET /api/v1/crises/{id}` (and `/clocks`): the serialised answer kept against the event's
version.

Every change to an event — its state, its activation, a clock met or corrected, a warning or
a breach raised — is saved through `CrisisRepository.save`, which moves the event's `version`
in the same transaction (the optimistic lock of its writers). The answer built from a read of
the event is therefore kept with the version it was read at; a later request reads the
current version (one statement on the primary key: `crisis.store.quick_reads`) and, when it
has not moved, sends the kept bytes. The version is read after the request arrived, on the
database: a commit made before it, by this process or another (the `crisis` command, a
second API process), is always seen.

The answer does not depend on the time of the request (a clock's state is what the
scheduler recorded: a breach shows once raised, and raising it moves the version); it is
nonetheless read again, not served from the cache, once the earliest warning or deadline of
a running clock is past, so that an answer that came to depend on the instant could not be
served stale.

The version is read on the event loop (`Unavailable` sends the request to the thread pool
instead, for a read of the event). One cache per application (`app.state`), bounded in size.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from crisis.bootstrap import Service
from crisis.domain.crisis import Crisis
from crisis.services.views import ClockView, CrisisView, crisis_view
from crisis.store.quick_reads import Unavailable

MAX_EVENTS = 1024


class ClockList(BaseModel):
    crisis_id: str
    clocks: list[ClockView]


@dataclass(slots=True)
class _Kept:
    version: int
    until: datetime | None  # the next warning or deadline of a running clock
    view: CrisisView
    bodies: dict[str, bytes] = field(default_factory=dict)

    def body(self, shape: str) -> bytes:
        found = self.bodies.get(shape)
        if found is None:
            if shape == "clocks":
                listed = ClockList(crisis_id=self.view.crisis_id, clocks=self.view.clocks)
                found = listed.model_dump_json().encode()
            else:
                # Serialised by its own model: FastAPI would validate it again.
                found = self.view.model_dump_json().encode()
            self.bodies[shape] = found
        return found


def _next_due(crisis: Crisis, now: datetime) -> datetime | None:
    return min(
        (
            due
            for clock in crisis.clocks.values()
            if clock.met_at is None
            for due in clock.due_instants()
            if due > now
        ),
        default=None,
    )


class EventReads:
    """The kept answers of one application's event reads."""

    def __init__(self, service: Service, *, max_events: int = MAX_EVENTS) -> None:
        self._service = service
        self._max = max_events
        self._kept: dict[str, _Kept] = {}
        self._lock = threading.Lock()

    async def answer(self, crisis_id: str, shape: str) -> bytes:
        """The body of the event (`shape` "crisis") or of its clocks ("clocks")."""
        kept = self._current(crisis_id)
        if kept is not None:
            try:
                if await self._service.quick_reads.crisis_version(crisis_id) == kept.version:
                    return kept.body(shape)
            except Unavailable:
                pass
        return await run_in_threadpool(self._read, crisis_id, shape)

    def _current(self, crisis_id: str) -> _Kept | None:
        kept = self._kept.get(crisis_id)
        if kept is None or (kept.until is not None and self._service.clock.now() >= kept.until):
            return None
        return kept

    def _read(self, crisis_id: str, shape: str) -> bytes:
        """In a thread: a read of the event, kept with its version."""
        with self._service.bus.reading() as uow:
            crisis = uow.crises.get(crisis_id)
            now = uow.now
        kept = _Kept(crisis.version, _next_due(crisis, now), crisis_view(crisis))
        with self._lock:
            self._kept.pop(crisis_id, None)
            if len(self._kept) >= self._max:
                del self._kept[next(iter(self._kept))]  # the longest kept
            self._kept[crisis_id] = kept
        return kept.body(shape)
