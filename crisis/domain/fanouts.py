"""A large fan-out continued in the background: where it stands and what it has written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ContactKey:
    """A contact's place in the order audiences are read in (category, name, id)."""

    category: str
    name: str
    id: str


@dataclass(slots=True)
class Fanout:
    message_id: str
    crisis_id: str
    channels: tuple[str, ...] | None  # the sender's restriction, or None
    audience_index: int  # into the message's audiences
    after: ContactKey | None  # the last contact planned in that audience
    by_channel: dict[str, int] = field(default_factory=dict)
    unreachable: int = 0
    accepted_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def written(self) -> int:
        return sum(self.by_channel.values())
