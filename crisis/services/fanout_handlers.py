"""Fan-out: a message's recipients planned and written a chunk at a time.

The send plans its named lists and the first contacts of its audiences in its own
transaction; an audience larger than `INLINE_CONTACTS` is continued in the background, one
chunk per transaction (`ContinueFanout`), from a position kept in the store with each chunk,
so that the send answers in a bounded time and a restart resumes where the last commit left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from channels.contract import Channel
from crisis.delivery.planning import PlannedDelivery, broadcast_deliveries, contact_deliveries
from crisis.domain.commands import ContinueFanout
from crisis.domain.contacts import AUDIENCE_CATEGORIES, Category, Contact
from crisis.domain.crisis import Crisis
from crisis.domain.errors import Conflict
from crisis.domain.events import FanoutCompleted
from crisis.domain.fanouts import ContactKey, Fanout
from crisis.domain.messages import ChannelName, Message
from crisis.domain.vocabulary import Audience
from crisis.services.context import HandlerContext, Outcome, catalog_of

# Contacts read, planned and written at a time: memory stays flat whatever the audience.
PLAN_CHUNK = 2000
# Contacts of the audiences planned by the send itself; the rest is continued in the
# background. About half a second of work on PostgreSQL: the send answers within two seconds
# even for a national audience, and the dispatcher starts on these while the rest is written.
INLINE_CONTACTS = 6000


@dataclass
class Tally:
    """What a fan-out wrote: deliveries per channel, contacts with no usable address."""

    by_channel: dict[str, int] = field(default_factory=dict)
    unreachable: int = 0

    def add(self, planned: Sequence[PlannedDelivery]) -> None:
        for delivery in planned:
            self.by_channel[delivery.channel] = self.by_channel.get(delivery.channel, 0) + 1


def write_deliveries(
    ctx: HandlerContext,
    message: Message,
    planned: Sequence[PlannedDelivery],
    tally: Tally,
    *,
    queued_at: datetime | None = None,
) -> None:
    """Write planned deliveries, queued now, or at `queued_at` (a background chunk's are
    queued when their message was sent: their latency and retry deadline count from it)."""
    ids = [ctx.new_id() for _ in planned]
    ctx.uow.outbox.add_deliveries(message, planned, ids=ids, now=queued_at or ctx.now)
    tally.add(planned)


def contact_rows(
    people: Iterable[Contact],
    channel_names: Sequence[ChannelName],
    available: Mapping[str, Channel],
    tally: Tally,
) -> list[PlannedDelivery]:
    planned: list[PlannedDelivery] = []
    for contact in people:
        rows = contact_deliveries(contact, channels=channel_names, available=available)
        if rows:
            planned.extend(rows)
        else:
            tally.unreachable += 1
    return planned


def list_members(ctx: HandlerContext, message: Message, lists: Sequence[str]) -> list[Contact]:
    """The members of the message's named lists, each once, but for those one of its
    audiences reaches (they are planned with that audience and its channels). In an
    exercise, a list with a member who does not take part is refused."""
    reached: set[Category] = set()
    for audience in message.audiences:
        reached |= AUDIENCE_CATEGORIES[audience]
    seen: set[str] = set()
    members: list[Contact] = []
    for list_ref in lists:
        resolved = ctx.uow.contacts.resolve(list_ref, exercise=False)
        outsiders = [m for m in resolved if not m.exercise]
        if message.exercise and outsiders:
            raise Conflict(
                f"La liste « {list_ref} » compte {len(outsiders)} destinataire(s) qui ne "
                "participent pas aux exercices : envoi refusé, rien n'est parti."
            )
        for contact in resolved:
            if contact.id not in seen and contact.category not in reached:
                seen.add(contact.id)
                members.append(contact)
    return members


def person_channels(ctx: HandlerContext) -> list[ChannelName]:
    """The channels a member of a named list is reached on: those of élus and media."""
    by_audience = catalog_of(ctx).config.audiences
    return sorted({c for a in (Audience.ELUS, Audience.MEDIA) for c in by_audience.get(a, [])})


def plan_lists(
    ctx: HandlerContext,
    message: Message,
    members: Sequence[Contact],
    available: Mapping[str, Channel],
    tally: Tally,
) -> None:
    planned = contact_rows(members, person_channels(ctx), available, tally)
    write_deliveries(ctx, message, planned, tally)


def expand_audiences(
    ctx: HandlerContext,
    message: Message,
    available: Mapping[str, Channel],
    fanout: Fanout,
    tally: Tally,
    *,
    budget: int,
) -> bool:
    """Plan and write the audiences' deliveries from the fan-out's position, until `budget`
    contacts have been read or the audiences are exhausted (True). The position moves on
    with each chunk written; the caller saves it in the same transaction.

    Audiences reach disjoint categories (`AUDIENCE_CATEGORIES`): no contact is met twice.
    """
    audience_channels = catalog_of(ctx).config.audiences
    read = 0
    while fanout.audience_index < len(message.audiences):
        audience = message.audiences[fanout.audience_index]
        channel_names = audience_channels.get(audience, [])
        if audience is Audience.PUBLIC:
            planned = broadcast_deliveries(channels=channel_names, available=available)
            write_deliveries(ctx, message, planned, tally, queued_at=message.created_at)
        else:
            chunks = ctx.uow.contacts.audience_in_chunks(
                audience, exercise=message.exercise, size=PLAN_CHUNK, after=fanout.after
            )
            for people in chunks:
                planned = contact_rows(people, channel_names, available, tally)
                write_deliveries(ctx, message, planned, tally, queued_at=message.created_at)
                last = people[-1]
                fanout.after = ContactKey(last.category.value, last.name, last.id)
                read += len(people)
                if read >= budget:
                    chunks.close()  # ends the server-side cursor
                    return False
        fanout.audience_index += 1
        fanout.after = None
    return True


def possible_channels(
    ctx: HandlerContext, message: Message, available: Mapping[str, Channel]
) -> dict[str, Channel]:
    """Every channel the message could use for its audiences and lists: what its texts are
    checked against when the fan-out is not over at the time of the answer."""
    names = {
        c.value for a in message.audiences for c in catalog_of(ctx).config.audiences.get(a, [])
    }
    if message.lists:
        names |= {c.value for c in person_channels(ctx)}
    return {name: channel for name, channel in available.items() if name in names}


@dataclass(frozen=True, slots=True)
class FanoutProgress:
    message_id: str
    written: int
    finished: bool


def background_channels(
    ctx: HandlerContext, message: Message, fanout: Fanout
) -> dict[str, Channel]:
    """The channels a continued fan-out writes for: the sender's choice, among those still
    configured (a channel removed since the send is skipped, not retried forever)."""
    available = catalog_of(ctx).channels(exercise=message.exercise)
    if fanout.channels is None:
        return dict(available)
    return {name: channel for name, channel in available.items() if name in fanout.channels}


def continue_fanout(cmd: ContinueFanout, ctx: HandlerContext) -> Outcome:
    """Write the next chunk of a fan-out; the last one records `FanoutCompleted`."""
    crisis_id = ctx.uow.fanouts.get(cmd.message_id).crisis_id
    # The crisis first, as every recorder of this crisis takes it: no deadlock, and two
    # processes continuing the same fan-out take turns on a position each re-reads.
    crisis = ctx.uow.crises.get(crisis_id, for_update=True)
    fanout = ctx.uow.fanouts.get(cmd.message_id, for_update=True)
    if fanout.finished_at is not None:
        return Outcome(FanoutProgress(fanout.message_id, fanout.written, True), stream=crisis.id)
    message = ctx.uow.outbox.message(cmd.message_id)
    if message is None:
        raise RuntimeError(f"fan-out of a missing message {cmd.message_id}")
    tally = Tally(dict(fanout.by_channel), fanout.unreachable)
    available = background_channels(ctx, message, fanout)
    finished = expand_audiences(ctx, message, available, fanout, tally, budget=PLAN_CHUNK)
    fanout.by_channel, fanout.unreachable = tally.by_channel, tally.unreachable
    if finished:
        fanout.finished_at = ctx.now
        _record_completed(ctx, crisis, fanout)
    ctx.uow.fanouts.save(fanout)
    return Outcome(FanoutProgress(fanout.message_id, fanout.written, finished), stream=crisis.id)


def _record_completed(ctx: HandlerContext, crisis: Crisis, fanout: Fanout) -> None:
    crisis.record_event(
        FanoutCompleted(
            crisis_id=crisis.id,
            message_id=fanout.message_id,
            deliveries=dict(sorted(fanout.by_channel.items())),
            unreachable=fanout.unreachable,
        )
    )
    ctx.touched.append(crisis)
    ctx.uow.crises.save(crisis)
