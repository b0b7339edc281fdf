"""What happened to a prepared message: journalled on its crisis's stream."""

from __future__ import annotations

from dataclasses import dataclass

from crisis.domain.events import Event


@dataclass(frozen=True, slots=True)
class DraftComposed(Event):
    draft_id: str
    origin: str
    template: str | None
    template_version: int | None
    audiences: tuple[str, ...]
    lists: tuple[str, ...]
    msg_type: str
    references_id: str | None
    needs_approval: bool
    composed_by: str


@dataclass(frozen=True, slots=True)
class DraftEdited(Event):
    draft_id: str
    template_version: int | None
    audiences: tuple[str, ...]
    lists: tuple[str, ...]
    needs_approval: bool
    edited_by: str


@dataclass(frozen=True, slots=True)
class DraftSubmitted(Event):
    draft_id: str
    submitted_by: str


@dataclass(frozen=True, slots=True)
class DraftApproved(Event):
    draft_id: str
    approved_by: str
    author: str


@dataclass(frozen=True, slots=True)
class DraftRejected(Event):
    draft_id: str
    rejected_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class DraftSent(Event):
    draft_id: str
    message_id: str
    sent_by: str
    approved_by: str | None  # None: no approval was needed for these audiences
