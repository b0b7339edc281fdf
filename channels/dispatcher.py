"""The outbox dispatcher: claims due deliveries, sends them paced per provider, records results.

Each channel runs its own loop, so a provider that is down only delays its own deliveries.
Results are recorded per claimed batch (several batches in one transaction when they wait for
the recording: `channels.batch_recorder`), while the next batch is being sent: if the
process dies between a provider's acceptance and that record, the delivery is sent again after
the claim expires (or at once when a worker of the same name restarts). Duplicates are
therefore bounded by three batches per channel and per worker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from channels.batch_recorder import BatchRecorder, finish
from channels.contract import Channel, OutgoingMessage, Receipt, RecipientKind, SendError
from channels.pacing import KeyedBuckets, TokenBucket
from channels.retry import RetryPolicy
from crisis.clock import Clock
from crisis.failure_streak import FailureStreak

log = logging.getLogger(__name__)


# Sent but not yet recorded, per channel: the one being recorded and two sharing the slots.
MAX_UNRECORDED_BATCHES = 3


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    RETRY = "retry"  # a retryable failure: tried again at next_attempt_at
    FAILED = "failed"  # given up: permanent error, or give_up_after passed
    REFUSED = "refused"  # the exercise interlock stopped it before any provider saw it


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    id: str
    message_id: str
    crisis_id: str
    audience: str
    channel: str
    recipient_kind: RecipientKind
    recipient: str
    text: str
    exercise: bool
    allowed_in_exercise: bool  # the recipient's own flag, read at claim time
    attempts: int  # attempts already made
    queued_at: datetime
    subject: str | None = None
    html: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivery_id: str
    crisis_id: str
    message_id: str
    audience: str
    channel: str
    attempt: int
    started_at: datetime
    finished_at: datetime
    outcome: Outcome
    provider_message_id: str | None = None
    accepted_at: datetime | None = None
    error: str | None = None
    retry_after: float | None = None
    next_attempt_at: datetime | None = None
    # Every part's id when the provider numbered the parts of one message apart (SMS).
    provider_part_ids: tuple[str, ...] = ()
    person_outcome: str | None = None  # `Receipt.outcome`: what the person called did
    about_recipient: bool = False  # `SendError.about_recipient`: not the channel's failure


class OutboxStore(Protocol):
    def claim(
        self,
        *,
        worker: str,
        channels: Collection[str],
        now: datetime,
        limit: int,
        lease: timedelta,
    ) -> list[ClaimedDelivery]: ...

    def record(self, results: Sequence[DeliveryResult]) -> None: ...

    def release(self, *, worker: str) -> int: ...


# After a failed claim, each channel's loop waits longer and longer, up to this; and logs a
# reminder every so many attempts (about a minute apart once the pauses are at their longest).
MAX_FAILURE_PAUSE_SECONDS = 5.0
# An idle channel's loop claims every idle period, then every two, then every four at most.
MAX_IDLE_PERIODS = 4
CLAIM_FAILURE_REMINDER = 12


@dataclass
class DispatcherConfig:
    worker: str = "dispatcher-1"
    batch_size: int = 100
    concurrency: int = 50
    lease: timedelta = timedelta(seconds=60)
    idle_seconds: float = 0.5
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Real-time pacing and pauses; a drill on a virtual clock turns them off (Retry-After is
    # still honoured there, through the next attempt's instant).
    pace: bool = True


class Dispatcher:
    def __init__(
        self,
        *,
        outbox: OutboxStore,
        production_channels: Mapping[str, Channel],
        exercise_channels: Mapping[str, Channel],
        clock: Clock,
        config: DispatcherConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._outbox = outbox
        self._channels = {False: production_channels, True: exercise_channels}
        self._clock = clock
        self.config = config or DispatcherConfig()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._buckets: dict[tuple[bool, str], TokenBucket] = {}
        self._chat_buckets: dict[tuple[bool, str], KeyedBuckets] = {}
        self._lasting_of: dict[str, tuple[int, int, timedelta]] = {}
        self._wakeup = asyncio.Event()
        self._stopped = asyncio.Event()

    def channel_names(self) -> list[str]:
        return sorted(set(self._channels[False]) | set(self._channels[True]))

    def wake(self) -> None:
        """New deliveries are waiting: stop idling."""
        self._wakeup.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wakeup.set()

    async def run(self) -> None:
        """Run every channel's loop until `stop()`."""
        released = await asyncio.to_thread(self._outbox.release, worker=self.config.worker)
        if released:
            log.info(
                "released %d deliveries claimed by an earlier %s", released, self.config.worker
            )
        await asyncio.gather(*(self._channel_loop(name) for name in self.channel_names()))

    async def run_until_idle(self, *, sequential: bool = False) -> int:
        """Deliver everything due now; return how many were attempted.

        `sequential` takes the channels one after the other, so that the order of the
        journal is the same on every run (drills rely on it).
        """
        total = 0
        while True:
            if sequential:
                done = 0
                for name in self.channel_names():
                    done += await self.dispatch_batch(name)
            else:
                batches = (self.dispatch_batch(name) for name in self.channel_names())
                done = sum(await asyncio.gather(*batches))
            total += done
            if done == 0:
                return total

    async def _channel_loop(self, name: str) -> None:
        """Claim, send and record as a pipeline: the channel's sending slots never run dry.

        Every batch shares the channel's `concurrency` slots. As soon as each delivery of a
        batch holds (or held) a slot, the next batch is claimed and queues for the slots the
        current one frees; each batch is recorded when its last delivery is done, in claim
        order, while the following ones are sent. Sent but not yet recorded: at most three
        batches (the one being recorded, and two sharing the slots).
        """
        gate = asyncio.Semaphore(self._lasting(name)[0])
        recorded: asyncio.Task[None] | None = None
        unrecorded: collections.deque[asyncio.Task[None]] = collections.deque()
        recorder = BatchRecorder[DeliveryResult](self._record)
        quiet = 0  # claims in a row that found nothing
        claims = FailureStreak(
            log,
            name,
            remind_every=CLAIM_FAILURE_REMINDER,
            level=logging.ERROR,
            first="claiming deliveries for %s failed; retrying",
            still="claiming deliveries for %s still fails (%d attempts)",
            back="claiming deliveries for %s works again after %d failed attempts",
        )
        try:
            while not self._stopped.is_set():
                # Backpressure: when recording falls behind (a slow database, a busy
                # machine), no new batch is claimed until the oldest of three is recorded,
                # so the bound on duplicates after a crash holds whatever the load.
                while unrecorded and (
                    unrecorded[0].done() or len(unrecorded) >= MAX_UNRECORDED_BATCHES
                ):
                    await self._finish(unrecorded.popleft())
                try:
                    claimed = await self._claim(name)
                except Exception:
                    # The first failure with its traceback, then a reminder now and then: a
                    # database away for ten minutes must not bury the log under tracebacks.
                    claims.failed()
                    await self._pause_after_failure(claims.count)
                    continue
                claims.succeeded()
                if not claimed:
                    quiet += 1
                    await self._idle(quiet)
                    continue
                quiet = 0
                all_started = asyncio.Event()
                sending = asyncio.create_task(
                    self._send_batch(claimed, gate=gate, when_all_started=all_started.set)
                )
                recorded = recorder.when_sent(sending)
                unrecorded.append(recorded)
                started = asyncio.create_task(all_started.wait())
                await asyncio.wait({sending, started}, return_when=asyncio.FIRST_COMPLETED)
                started.cancel()
        finally:
            await self._finish(recorded)

    async def _pause_after_failure(self, failures: int) -> None:
        """A pause that doubles from the idle period up to MAX_FAILURE_PAUSE_SECONDS; new
        deliveries do not cut it short (they could not be claimed either), `stop()` does."""
        pause = min(
            MAX_FAILURE_PAUSE_SECONDS, self.config.idle_seconds * 2 ** min(failures - 1, 16)
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), pause)

    async def _idle(self, quiet: int = 1) -> None:
        """Wait for `wake()` (a send in this process) or the idle period: doubled after each
        claim that found nothing, up to `MAX_IDLE_PERIODS` periods. Twice a second per
        channel was most of what an idle service cost; a delivery written by another process
        (an API worker, the command line) or a retry falls due is found within two seconds."""
        if self._stopped.is_set():
            return
        self._wakeup.clear()
        periods = min(2 ** (quiet - 1), MAX_IDLE_PERIODS) if quiet > 0 else 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self.config.idle_seconds * periods)

    _finish = staticmethod(finish)

    def _lasting(self, name: str) -> tuple[int, int, timedelta]:
        """The slots, batch size and lease of a channel's loop. A channel whose sends last
        (calls) takes no more at once than it can hold, in batches of that size, and keeps
        its claims for two sends' time: a batch waits for the slots of the one before."""
        known = self._lasting_of.get(name)
        if known is not None:
            return known
        slots, batch, lease = self.config.concurrency, self.config.batch_size, self.config.lease
        for channels in self._channels.values():
            channel = channels.get(name) if name in channels else None
            limits = None if channel is None else channel.limits
            if limits is None or limits.max_in_flight is None:
                continue
            slots = min(slots, limits.max_in_flight)
            batch = min(batch, limits.max_in_flight)
            if limits.send_seconds is not None:
                lease = max(lease, timedelta(seconds=2 * limits.send_seconds + 60))
        self._lasting_of[name] = (slots, batch, lease)
        return slots, batch, lease

    async def _claim(self, name: str) -> list[ClaimedDelivery]:
        _, batch, lease = self._lasting(name)
        return await asyncio.to_thread(
            self._outbox.claim,
            worker=self.config.worker,
            channels=[name],
            now=self._clock.now(),
            limit=batch,
            lease=lease,
        )

    async def _record(self, results: list[DeliveryResult]) -> None:
        await asyncio.to_thread(self._outbox.record, results)

    async def _send_batch(
        self,
        claimed: Sequence[ClaimedDelivery],
        *,
        gate: asyncio.Semaphore | None = None,
        when_all_started: Callable[[], None] | None = None,
    ) -> list[DeliveryResult]:
        if gate is None:
            slots = self._lasting(claimed[0].channel)[0] if claimed else self.config.concurrency
            gate = asyncio.Semaphore(slots)
        waiting = len(claimed)

        async def one(delivery: ClaimedDelivery) -> DeliveryResult:
            nonlocal waiting
            async with gate:
                waiting -= 1
                if waiting == 0 and when_all_started is not None:
                    when_all_started()
                return await self._deliver(delivery)

        return list(await asyncio.gather(*(one(d) for d in claimed)))

    async def dispatch_batch(self, name: str) -> int:
        """Claim one batch, send it and record it, one step after the other."""
        claimed = await self._claim(name)
        if not claimed:
            return 0
        results = await self._send_batch(claimed)
        await self._record(results)
        return len(results)

    def _bucket(self, exercise: bool, channel: Channel) -> TokenBucket:
        key = (exercise, channel.name)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(channel.limits.rate_per_second)
        return bucket

    async def _send_paced(
        self, exercise: bool, channel: Channel, message: OutgoingMessage
    ) -> Receipt:
        """Send once the channel's token, and the chat's if it has its own limit, are taken:
        they count against the limits until the send is over (see `channels.pacing`)."""
        if not self.config.pace or channel.limits.max_in_flight is not None:
            # A channel whose sends last paces their starts itself (see ChannelLimits).
            return await channel.send(message)
        bucket = self._bucket(exercise, channel)
        chat = self._chat_bucket(exercise, channel, message.recipient)
        if chat is None:
            await bucket.acquire()
        else:
            await chat.acquire(then=bucket)
        try:
            return await channel.send(message)
        finally:
            bucket.finished()
            if chat is not None:
                chat.finished()

    def _chat_bucket(self, exercise: bool, channel: Channel, recipient: str) -> TokenBucket | None:
        rate = channel.limits.per_chat_rate_per_second
        if rate is None or not recipient:
            return None
        key = (exercise, channel.name)
        chats = self._chat_buckets.get(key)
        if chats is None:
            chats = self._chat_buckets[key] = KeyedBuckets(rate)
        return chats.bucket(recipient)

    async def _deliver(self, delivery: ClaimedDelivery) -> DeliveryResult:
        attempt = delivery.attempts + 1
        started = self._clock.now()
        channel = self._channels[delivery.exercise].get(delivery.channel)
        refusal = self._interlock(delivery, channel)
        if refusal is not None or channel is None:
            return _result(
                delivery,
                attempt,
                started,
                started,
                Outcome.REFUSED,
                error=refusal or "canal non configuré",
            )
        message = OutgoingMessage(
            delivery_id=delivery.id,
            recipient_kind=delivery.recipient_kind,
            recipient=delivery.recipient,
            text=delivery.text,
            exercise=delivery.exercise,
            subject=delivery.subject,
            html=delivery.html,
            metadata=delivery.metadata,
        )
        try:
            receipt = await self._send_paced(delivery.exercise, channel, message)
        except SendError as error:
            return self._failure(delivery, attempt, started, error, channel)
        except Exception as error:  # a bug or an unexpected library error: retry, never drop
            log.exception("unexpected error from channel %s", delivery.channel)
            wrapped = SendError(f"erreur inattendue : {type(error).__name__}", retryable=True)
            return self._failure(delivery, attempt, started, wrapped, channel)
        return _result(
            delivery,
            attempt,
            started,
            self._clock.now(),
            Outcome.ACCEPTED,
            provider_message_id=receipt.provider_message_id,
            accepted_at=receipt.accepted_at,
            provider_part_ids=receipt.provider_part_ids,
            person_outcome=receipt.outcome,
        )

    def _interlock(self, delivery: ClaimedDelivery, channel: Channel | None) -> str | None:
        if not delivery.exercise:
            return None if channel is not None else "canal non configuré"
        if channel is None:
            return f"canal « {delivery.channel} » non autorisé en exercice"
        if not delivery.allowed_in_exercise:
            return "destinataire non autorisé en exercice"
        return None

    def _failure(
        self,
        delivery: ClaimedDelivery,
        attempt: int,
        started: datetime,
        error: SendError,
        channel: Channel,
    ) -> DeliveryResult:
        now = self._clock.now()
        policy = self.config.retry
        if error.retryable and error.retry_after and self.config.pace:
            # The provider asked everyone to wait, not only this delivery.
            self._bucket(delivery.exercise, channel).pause(error.retry_after)
        if not error.retryable or policy.gives_up(first_queued_at=delivery.queued_at, now=now):
            return _result(
                delivery,
                attempt,
                started,
                now,
                Outcome.FAILED,
                error=error.reason,
                retry_after=error.retry_after,
            )
        delay = policy.delay(attempt, retry_after=error.retry_after, rng=self._rng)
        return _result(
            delivery,
            attempt,
            started,
            now,
            Outcome.RETRY,
            error=error.reason,
            retry_after=error.retry_after,
            next_attempt_at=now + timedelta(seconds=delay),
            about_recipient=error.about_recipient,
        )


def _result(
    delivery: ClaimedDelivery,
    attempt: int,
    started: datetime,
    finished: datetime,
    outcome: Outcome,
    *,
    provider_message_id: str | None = None,
    accepted_at: datetime | None = None,
    error: str | None = None,
    retry_after: float | None = None,
    next_attempt_at: datetime | None = None,
    provider_part_ids: tuple[str, ...] = (),
    person_outcome: str | None = None,
    about_recipient: bool = False,
) -> DeliveryResult:
    """The outcome of one attempt (built once: a fan-out builds one per delivery)."""
    return DeliveryResult(
        delivery_id=delivery.id,
        crisis_id=delivery.crisis_id,
        message_id=delivery.message_id,
        audience=delivery.audience,
        channel=delivery.channel,
        attempt=attempt,
        started_at=started,
        finished_at=finished,
        outcome=outcome,
        provider_message_id=provider_message_id,
        accepted_at=accepted_at,
        error=error,
        retry_after=retry_after,
        next_attempt_at=next_attempt_at,
        provider_part_ids=provider_part_ids,
        person_outcome=person_outcome,
        about_recipient=about_recipient,
    )
