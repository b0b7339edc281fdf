"""Running the dispatcher: its outbox seen through the bus, in a thread or in the foreground."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, text

from channels.dispatcher import (
    ClaimedDelivery,
    DeliveryResult,
    Dispatcher,
    DispatcherConfig,
    Outcome,
)
from channels.registry import close_channels
from channels.retry import RetryPolicy
from crisis.catalog import ChannelCatalog
from crisis.clock import Clock
from crisis.delivery.config import ConfigError
from crisis.domain.commands import RecordDeliveryOutcomes
from crisis.ops.metrics import Metrics
from crisis.receipt_recorder import wire_receipts
from crisis.scheduling.leadership import Leadership, worker_lock
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR

log = logging.getLogger(__name__)


class BusOutbox:
    """The dispatcher's outbox: claims in short transactions, outcomes through the bus."""

    def __init__(self, bus: MessageBus, *, worker: str, metrics: Metrics | None = None) -> None:
        self._bus = bus
        self._worker = worker
        self._metrics = metrics
        # The channels whose last claim found nothing: an idle loop asks twice a second.
        self._idle: set[tuple[str, ...]] = set()

    def claim(
        self, *, worker: str, channels: Collection[str], now: datetime, limit: int, lease: timedelta
    ) -> list[ClaimedDelivery]:
        key = tuple(channels)
        claimed: list[ClaimedDelivery] = []
        if key not in self._idle or self._any_due(channels, now):
            # Only then the write transaction (SQLite's write lock, a commit).
            with self._bus.unit_of_work() as uow:
                claimed = uow.outbox.claim(
                    worker=worker, channels=channels, now=now, limit=limit, lease=lease
                )
                uow.commit()
        if claimed:
            self._idle.discard(key)
        else:
            self._idle.add(key)
        if self._metrics is not None:
            self._metrics.heartbeat(list(channels))
        return claimed

    def _any_due(self, channels: Collection[str], now: datetime) -> bool:
        with self._bus.reading() as uow:
            return uow.outbox.any_due(channels=channels, now=now)

    def record(self, results: Sequence[DeliveryResult]) -> None:
        if self._metrics is not None:
            self._metrics.observe_results(results)
        for result in results:
            failed = result.outcome in (Outcome.FAILED, Outcome.REFUSED)
            level = logging.WARNING if failed else logging.DEBUG
            if not log.isEnabledFor(level):  # one per delivery: nothing built for nothing
                continue
            log.log(
                level,
                "diffusion %s sur %s : %s%s",
                result.outcome.value,
                result.channel,
                f"tentative {result.attempt}",
                f" ({result.error})" if result.error else "",
                extra={
                    "crisis_id": result.crisis_id,
                    "message_id": result.message_id,
                    "delivery_id": result.delivery_id,
                },
            )
        if results:
            self._bus.handle(
                RecordDeliveryOutcomes(worker=self._worker, results=tuple(results)),
                actor=SYSTEM_ACTOR,
            )

    def release(self, *, worker: str) -> int:
        with self._bus.unit_of_work() as uow:
            released = uow.outbox.release(worker=worker)
            uow.commit()
        return released


def make_dispatcher(
    bus: MessageBus,
    catalog: ChannelCatalog,
    *,
    clock: Clock,
    worker: str,
    rng: random.Random | None = None,
    pace: bool = True,
    metrics: Metrics | None = None,
) -> Dispatcher:
    settings = catalog.config.dispatcher
    retry = settings.retry
    wire_receipts(bus, catalog.production, exercise=False, metrics=metrics)
    wire_receipts(bus, catalog.exercise, exercise=True, metrics=metrics)
    return Dispatcher(
        outbox=BusOutbox(bus, worker=worker, metrics=metrics),
        production_channels=catalog.production,
        exercise_channels=catalog.exercise,
        clock=clock,
        rng=rng,
        config=DispatcherConfig(
            worker=worker,
            batch_size=settings.batch_size,
            concurrency=settings.concurrency,
            lease=timedelta(seconds=settings.lease_seconds),
            idle_seconds=settings.idle_seconds,
            pace=pace,
            retry=RetryPolicy(
                base_seconds=retry.base_seconds,
                factor=retry.factor,
                max_delay_seconds=retry.max_delay_seconds,
                give_up_after=timedelta(minutes=retry.give_up_after_minutes),
            ),
        ),
    )


class WorkerNameTakenError(ConfigError):
    """Another live dispatcher already uses this worker name on this database."""

    def __init__(self, worker: str) -> None:
        super().__init__(
            f"Un répartiteur nommé « {worker} » tourne déjà sur cette base : arrêtez-le, ou "
            "donnez à celui-ci un autre nom (CRISIS_WORKER_NAME, ou --name pour crisis worker)."
        )


def hold_worker_name(engine: Engine, worker: str) -> Leadership:
    """The worker name's lock, held until released; `WorkerNameTakenError` if a live dispatcher
    holds it (see `worker_lock`)."""
    lock = worker_lock(engine, worker)
    if not lock.try_acquire():
        lock.release()  # the connection or file opened to try
        # A lock that could not even be asked for is not a name taken: with the database away,
        # this raises its OperationalError (the CLI says so) instead of blaming a live one.
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        raise WorkerNameTakenError(worker)
    return lock


class DispatcherThread:
    """The dispatcher on its own event loop, beside the API (`crisis serve`)."""

    def __init__(
        self, dispatcher: Dispatcher, catalog: ChannelCatalog, *, engine: Engine | None = None
    ) -> None:
        self._dispatcher = dispatcher
        self._catalog = catalog
        self._engine = engine  # to hold the worker name's lock while running
        self._lock: Leadership | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        if self._engine is not None:
            self._lock = hold_worker_name(self._engine, self._dispatcher.config.worker)
        self._thread = threading.Thread(target=self._main, name="dispatcher", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._ready.set()
        try:
            loop.run_until_complete(self._dispatcher.run())
            loop.run_until_complete(close_channels(self._catalog.production))
            loop.run_until_complete(close_channels(self._catalog.exercise))
        finally:
            loop.close()

    def wake(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._dispatcher.wake)

    def stop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._dispatcher.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def run_in_foreground(dispatcher: Dispatcher, catalog: ChannelCatalog) -> None:
    """`crisis worker`: the dispatcher alone, until interrupted."""

    async def main() -> None:
        try:
            await dispatcher.run()
        finally:
            await close_channels(catalog.production)
            await close_channels(catalog.exercise)

    asyncio.run(main())
