"""What a message will really send: per channel that will carry it, the final text, its
length and encoding, and how many recipients; nothing for a channel that will not be used.

It plans the deliveries the way the send does (`list_members`, the audiences' channels,
`contact_deliveries`, `broadcast_deliveries`), in a read-only transaction, counting instead of
writing. Counting stops after `MAX_COUNTED` contacts of the audiences (a national audience):
the page then says « au moins ».
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from channels.contract import Channel
from channels.measure import measure
from channels.smart_encoding import smart_encode
from crisis.catalog import ChannelCatalog
from crisis.delivery.planning import broadcast_deliveries
from crisis.domain.crisis import Crisis
from crisis.domain.errors import DomainError
from crisis.domain.messages import ChannelName, Message, MessagePurpose, MessageTexts, MessageType
from crisis.domain.vocabulary import Audience
from crisis.services.context import SYSTEM_ACTOR, HandlerContext, catalog_of
from crisis.services.fanout_handlers import PLAN_CHUNK, Tally, contact_rows, list_members
from crisis.services.fanout_handlers import person_channels as list_channels
from crisis.services.message_handlers import usable_channels
from crisis.settings import Settings
from crisis.store.unit_of_work import UnitOfWork

MAX_COUNTED = 20_000


@dataclass(frozen=True, slots=True)
class ChannelPreview:
    channel: str
    text: str  # as it leaves: the EXERCICE marker added, an SMS smart-encoded
    length: int
    limit: int | None
    unit: str
    fits: bool
    encoding: str | None  # « GSM-7 » or « UCS-2 » for an SMS
    segments: int | None
    recipients: int


@dataclass(frozen=True, slots=True)
class SendPreview:
    channels: list[ChannelPreview] = field(default_factory=list)
    unreachable: int = 0  # recipients with no address on a usable channel
    complete: bool = True  # False: counting stopped at MAX_COUNTED contacts
    problem: str = ""  # why nothing can be previewed (a channel refused, say), in French

    @property
    def recipients(self) -> int:
        return sum(c.recipients for c in self.channels)


def _final_text(texts: MessageTexts, channel: ChannelName, subject: str) -> str:
    body = texts.for_channel(channel, fallback_subject=subject).text
    return smart_encode(body).strip() if channel is ChannelName.SMS else body


def send_preview(
    uow: UnitOfWork,
    *,
    catalog: ChannelCatalog,
    settings: Settings,
    crisis: Crisis,
    texts: Mapping[str, str],
    audiences: Sequence[Audience],
    lists: Sequence[str],
    channels: Sequence[str] | None,
) -> SendPreview:
    ctx = HandlerContext(
        uow=uow,
        now=uow.now,
        actor=SYSTEM_ACTOR,
        settings=settings,
        new_id=lambda: "apercu",
        catalog=catalog,
    )
    try:
        parsed = MessageTexts.parse(dict(texts))
        if crisis.exercise:  # as `deliver` does: the marker is added once
            parsed = parsed.marked(settings.exercise_marker)
        usable = usable_channels(catalog, exercise=crisis.exercise, restrict=channels)
        message = Message(
            id="apercu",
            crisis_id=crisis.id,
            purpose=MessagePurpose.FACTUAL,
            msg_type=MessageType.ALERT,
            audiences=tuple(dict.fromkeys(audiences)),
            lists=tuple(lists),
            texts=parsed,
            exercise=crisis.exercise,
            created_by=SYSTEM_ACTOR.name,
            created_at=uow.now,
        )
        tally, complete = _count(ctx, message, usable)
    except DomainError as refused:
        return SendPreview(problem=refused.message)
    shown: list[ChannelPreview] = []
    for name, count in sorted(tally.by_channel.items()):
        channel_name = ChannelName(name)
        text = _final_text(parsed, channel_name, crisis.title)
        size = measure(text, usable[name].limits)
        shown.append(
            ChannelPreview(
                channel=name,
                text=text,
                length=size.length,
                limit=size.limit,
                unit=size.unit.value,
                fits=size.fits,
                encoding=size.sms.encoding.value if size.sms else None,
                segments=size.sms.segments if size.sms else None,
                recipients=count,
            )
        )
    return SendPreview(channels=shown, unreachable=tally.unreachable, complete=complete)


def _count(
    ctx: HandlerContext, message: Message, usable: Mapping[str, Channel]
) -> tuple[Tally, bool]:
    tally = Tally()
    members = list_members(ctx, message, message.lists)
    tally.add(contact_rows(members, list_channels(ctx), usable, tally))
    by_audience = catalog_of(ctx).config.audiences
    read = 0
    for audience in message.audiences:
        names = by_audience.get(audience, [])
        if audience is Audience.PUBLIC:
            tally.add(broadcast_deliveries(channels=names, available=usable))
            continue
        chunks = ctx.uow.contacts.audience_in_chunks(
            audience, exercise=message.exercise, size=PLAN_CHUNK
        )
        for people in chunks:
            tally.add(contact_rows(people, names, usable, tally))
            read += len(people)
            if read >= MAX_COUNTED:
                chunks.close()
                return tally, False
    return tally, True
