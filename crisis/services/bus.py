"""The message bus: runs a command in one transaction, journals it, routes its events."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from crisis.catalog import ChannelCatalog
from crisis.clock import Clock
from crisis.domain.commands import CheckDeadlines, Command, ContinueFanout
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.errors import Forbidden as Forbidden  # 403, where the callers import it
from crisis.domain.events import Event
from crisis.domain.oncall import AnswerCall, CheckCallouts
from crisis.domain.programme import NotifyDrillParticipants, RunDueDrills
from crisis.jsonable import to_jsonable
from crisis.ops.logs import log_context
from crisis.services.context import TRUSTED_ROLES, Actor, HandlerContext, Outcome
from crisis.services.preparation import PrepareContext, Prepared, Preparer, prepare
from crisis.services.registry import (
    CommandHandler,
    command_handlers,
    command_preparers,
    may_run,
    refusal,
)
from crisis.services.template_library import TemplateLibrary
from crisis.settings import Settings
from crisis.store.crises_repository import ConcurrentUpdate
from crisis.store.idempotency_repository import StoredAnswer
from crisis.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

EventHandler = Callable[[Event, HandlerContext], None]
AfterCommitHook = Callable[[Sequence[Event]], None]
Presenter = Callable[[UnitOfWork, Any], tuple[int, Any]]

MAX_ATTEMPTS = 5


class IdempotencyMismatch(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key",
            "Cette clé d'idempotence a déjà servi pour une requête différente.",
        )


@dataclass(frozen=True, slots=True)
class Replayable:
    key: str | None
    fingerprint: str
    present: Presenter


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: Any
    replayed: bool


def ensure_may_run(actor: Actor, command_type: type[Command]) -> None:
    """Raise Forbidden unless the actor's role may run this kind of command."""
    if actor.role not in TRUSTED_ROLES and not may_run(actor.role, command_type):
        raise Forbidden(refusal(actor.role, command_type))


def _kind(obj: object) -> str:
    return type(obj).__name__


@dataclass
class MessageBus:
    engine: Engine
    clock: Clock
    settings: Settings
    command_handlers: Mapping[type[Command], CommandHandler] = field(
        default_factory=command_handlers
    )
    command_preparers: Mapping[type[Command], Preparer] = field(default_factory=command_preparers)
    event_handlers: dict[type[Event], list[EventHandler]] = field(default_factory=dict)
    after_commit: list[AfterCommitHook] = field(default_factory=list)
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    catalog: ChannelCatalog | None = None
    templates: TemplateLibrary | None = None

    def subscribe(self, event_type: type[Event], handler: EventHandler) -> None:
        self.event_handlers.setdefault(event_type, []).append(handler)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, now=self.clock.now())

    def reading(self) -> UnitOfWork:
        """A short read-only transaction: what every read of the API and the console uses."""
        return UnitOfWork(self.engine, now=self.clock.now(), read_only=True)

    def handle(self, command: Command, *, actor: Actor) -> Any:
        with log_context(crisis_id=getattr(command, "crisis_id", None)):
            answer = self._run(command, actor=actor, replayable=None)
        return answer.body

    def handle_and_present(
        self,
        command: Command,
        *,
        actor: Actor,
        present: Presenter,
        key: str | None = None,
        fingerprint: str = "",
    ) -> Answer:
        """Run and shape the answer in the same transaction.

        With an idempotency key, run once per (user, key): a repeat returns the first answer
        and writes nothing.
        """
        with log_context(crisis_id=getattr(command, "crisis_id", None)):
            return self._run(command, actor=actor, replayable=Replayable(key, fingerprint, present))

    def rehearse(self, command: Command, *, actor: Actor) -> Any:
        """The handler's result as the actor would get it, in a transaction always undone.

        A preview of exactly what a command would do (the console's import preview): the
        same handler, nothing written, nothing journalled.
        """
        ensure_may_run(actor, type(command))
        handler = self.command_handlers[type(command)]
        prepared = self._prepare(command)
        with self.unit_of_work() as uow:
            return handler(command, self._context(uow, actor, prepared)).result

    def _prepare(self, command: Command) -> Prepared | None:
        """The command's preparation, run before its transaction opens (none: None)."""
        preparer = self.command_preparers.get(type(command))
        if preparer is None:
            return None
        context = PrepareContext(
            reading=self.reading, settings=self.settings, templates=self.templates
        )
        return prepare(preparer, command, context)

    def _context(
        self, uow: UnitOfWork, actor: Actor, prepared: Prepared | None = None
    ) -> HandlerContext:
        return HandlerContext(
            uow=uow,
            now=uow.now,
            actor=actor,
            settings=self.settings,
            new_id=self.new_id,
            catalog=self.catalog,
            templates=self.templates,
            prepared=prepared,
        )

    def _run(self, command: Command, *, actor: Actor, replayable: Replayable | None) -> Answer:
        handler = self.command_handlers[type(command)]
        ensure_may_run(actor, type(command))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                # Prepared again on each attempt: a retry follows a concurrent write, which
                # may have changed what the preparation read.
                prepared = self._prepare(command)
                return self._attempt(
                    command, handler, actor=actor, replayable=replayable, prepared=prepared
                )
            except (ConcurrentUpdate, IntegrityError, OperationalError) as error:
                # A concurrent writer won the race (same journal head, same idempotency
                # key, same alert): run again on the new state.
                if attempt == MAX_ATTEMPTS:
                    raise
                log.info(
                    "retrying %s after a concurrent write: %s", _kind(command), type(error).__name__
                )
            except (Conflict, Forbidden) as refusal:
                # A handler's own refusal (a conflict, another member's page) is journalled;
                # a role's, above, answers before anything is read.
                self._journal_refusal(command, actor, refusal)
                raise
        raise AssertionError("unreachable")

    def _attempt(
        self,
        command: Command,
        handler: CommandHandler,
        *,
        actor: Actor,
        replayable: Replayable | None,
        prepared: Prepared | None,
    ) -> Answer:
        with self.unit_of_work() as uow:
            if replayable is not None and replayable.key is not None and actor.user_id is not None:
                stored = uow.idempotency.find(user_id=actor.user_id, key=replayable.key)
                if stored is not None:
                    if stored.fingerprint != replayable.fingerprint:
                        raise IdempotencyMismatch()
                    return Answer(stored.status_code, json.loads(stored.body), replayed=True)
            ctx = self._context(uow, actor, prepared)
            outcome = handler(command, ctx)
            events = self._journal(command, outcome, ctx)
            events.extend(ctx.announced)
            pending = list(events)
            while pending:
                for event in pending:
                    for event_handler in self.event_handlers.get(type(event), []):
                        event_handler(event, ctx)
                # What the event handlers caused is journalled too, after its cause.
                pending = self._journal_events(ctx)
                events.extend(pending)
            if replayable is not None:
                status, body = replayable.present(uow, outcome.result)
                body = to_jsonable(body)
                if replayable.key is not None and actor.user_id is not None:
                    uow.idempotency.store(
                        user_id=actor.user_id,
                        key=replayable.key,
                        answer=StoredAnswer(replayable.fingerprint, status, json.dumps(body)),
                        now=uow.now,
                    )
                answer = Answer(status, body, replayed=False)
            else:
                answer = Answer(200, outcome.result, replayed=False)
            uow.commit()
        for hook in self.after_commit:
            try:
                hook(events)
            except Exception:
                # Scheduling is a convenience on top of the periodic sweep: never fail the
                # command that has already been committed.
                log.exception("after-commit hook failed")
        return answer

    def _journal(self, command: Command, outcome: Outcome, ctx: HandlerContext) -> list[Event]:
        command_payload: dict[str, Any] = {
            "command": to_jsonable(command.journal_payload()),
            "role": ctx.actor.role,
        }
        if outcome.journal is not None:
            command_payload["outcome"] = to_jsonable(outcome.journal)
        events: list[Event] = []
        if not ctx.touched:
            if isinstance(command, CheckDeadlines | CheckCallouts | AnswerCall):
                # A check that found nothing due leaves no trace; nor does an élu's key
                # press, recorded with its delivery (calls are journalled in aggregate).
                return events
            if isinstance(command, ContinueFanout):
                # A chunk written: its deliveries are its trace; the last one journals.
                return events
            if isinstance(command, RunDueDrills | NotifyDrillParticipants) and not outcome.journal:
                return events  # likewise for the exercise programme's sweeps
            ctx.uow.journal.append(
                stream=outcome.stream,
                at=ctx.now,
                actor=ctx.actor.name,
                kind=f"command.{_kind(command)}",
                payload=command_payload,
            )
            return events
        for crisis in ctx.touched:
            ctx.uow.journal.append(
                stream=crisis.id,
                at=ctx.now,
                actor=ctx.actor.name,
                kind=f"command.{_kind(command)}",
                payload=command_payload,
            )
        events.extend(self._journal_events(ctx))
        return events

    def _journal_events(self, ctx: HandlerContext) -> list[Event]:
        journalled: list[Event] = []
        for crisis in ctx.touched:
            ctx.uow.journal.append_many(
                stream=crisis.id,
                at=ctx.now,
                actor=ctx.actor.name,
                items=[(f"event.{_kind(event)}", event) for event in crisis.events],
            )
            journalled.extend(crisis.events)
            crisis.events.clear()
        return journalled

    def _journal_refusal(
        self, command: Command, actor: Actor, conflict: Conflict | Forbidden
    ) -> None:
        """A refused command on an existing crisis is itself a fact worth keeping (a refusal
        may name the crisis it concerns: the event a new one duplicates)."""
        crisis_id = getattr(command, "crisis_id", None) or getattr(conflict, "crisis_id", None)
        if not isinstance(crisis_id, str):
            return
        try:
            with self.unit_of_work() as uow:
                uow.crises.get(crisis_id)
                uow.journal.append(
                    stream=crisis_id,
                    at=uow.now,
                    actor=actor.name,
                    kind=f"refused.{_kind(command)}",
                    payload={
                        "command": to_jsonable(command.journal_payload()),
                        "role": actor.role,
                        "reason": conflict.message,
                    },
                )
                uow.commit()
        except NotFound:
            return
