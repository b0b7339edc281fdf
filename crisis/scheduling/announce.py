"""Due instants told to the scheduler leader, whichever process created them.

Every process with a bus (the service, a worker, the CLI) turns the events it commits into due
instants. On PostgreSQL it announces them with NOTIFY on a channel of its schema; the leader
LISTENs and schedules them at once. On SQLite the leader reads them from the store at each
sweep (see `DeadlineScheduler`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from crisis.domain.approval_calls import ApprovalPageAcknowledged, ApproverPaged
from crisis.domain.events import ClockStarted, Event
from crisis.domain.oncall import MemberPaged, RoleUnstaffed
from crisis.failure_streak import FailureStreak
from crisis.scheduling.leadership import dedicated_connection

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DueInstant:
    kind: str  # "deadline" (a clock) or "callout" (a page's acknowledgement time)
    crisis_id: str
    due: datetime

    def payload(self) -> str:
        return json.dumps(
            {"kind": self.kind, "crisis_id": self.crisis_id, "due": self.due.isoformat()}
        )

    @classmethod
    def parse(cls, payload: str) -> DueInstant:
        data = json.loads(payload)
        return cls(str(data["kind"]), str(data["crisis_id"]), datetime.fromisoformat(data["due"]))


def due_instants(events: Sequence[Event]) -> list[DueInstant]:
    found: list[DueInstant] = []
    for event in events:
        if isinstance(event, ClockStarted):
            for offset in [*event.warning_offsets, event.target_minutes]:
                due = event.started_at + timedelta(minutes=offset)
                found.append(DueInstant("deadline", event.crisis_id, due))
        elif isinstance(event, MemberPaged | RoleUnstaffed):
            found.append(DueInstant("callout", event.crisis_id, event.ack_due_at))
        elif isinstance(event, ApproverPaged):
            # The approvers' calls move on in the call-out's sweep (CheckCallouts).
            found.append(DueInstant("callout", event.crisis_id, event.next_due_at))
        elif isinstance(event, ApprovalPageAcknowledged) and event.resume_at is not None:
            # Taken on: the calls resume then without a decision.
            found.append(DueInstant("callout", event.crisis_id, event.resume_at))
    return list(dict.fromkeys(found))


def channel_name(schema: str) -> str:
    return f"crisis_due:{schema}"[:63]


class Announcer:
    """After-commit hook: NOTIFY each new due instant (PostgreSQL)."""

    def __init__(self, engine: Engine, channel: str) -> None:
        self._engine = engine
        self._channel = channel

    def __call__(self, events: Sequence[Event]) -> None:
        instants = due_instants(events)
        if not instants:
            return
        with self._engine.begin() as connection:
            for instant in instants:
                connection.execute(select(func.pg_notify(self._channel, instant.payload())))


class Listener(threading.Thread):
    """LISTEN on the schema's channel and hand each due instant to `on_due` (the leader)."""

    def __init__(self, engine: Engine, channel: str, on_due: Callable[[DueInstant], None]) -> None:
        super().__init__(name="crisis-due-listener", daemon=True)
        self._engine = engine
        self._channel = channel
        self._on_due = on_due
        self._stopping = threading.Event()
        self.listening = threading.Event()

    def _connect(self) -> Any:
        connection = dedicated_connection(self._engine)
        quoted = '"' + self._channel.replace('"', '""') + '"'
        connection.execute(f"LISTEN {quoted}")
        return connection

    def run(self) -> None:
        unreachable = FailureStreak(log, "écoute des échéances : base injoignable", remind_every=60)
        while not self._stopping.is_set():
            try:
                connection = self._connect()
            except Exception:
                unreachable.failed()
                self._stopping.wait(1.0)
                continue
            unreachable.succeeded()
            self.listening.set()
            try:
                while not self._stopping.is_set():
                    for notice in connection.notifies(timeout=0.5):
                        self._dispatch(notice.payload)
            except Exception:
                log.warning("écoute des échéances interrompue ; reprise", exc_info=True)
            finally:
                self.listening.clear()
                connection.close()

    def _dispatch(self, payload: str) -> None:
        try:
            self._on_due(DueInstant.parse(payload))
        except Exception:
            log.exception("échéance annoncée illisible ou non planifiée : %s", payload)

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
