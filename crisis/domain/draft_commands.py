"""Commands of the prepared-message workflow and of the custom templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crisis.domain.commands import Command
from crisis.domain.vocabulary import Audience


@dataclass(frozen=True, slots=True)
class ComposeMessage(Command):
    """A draft rendered from a template (latest version unless ``version`` is given)."""

    crisis_id: str
    template: str
    variables: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    audiences: tuple[Audience, ...] = ()
    lists: tuple[str, ...] = ()
    channels: tuple[str, ...] | None = None  # restrict to these channels
    msg_type: str = "alert"
    references_id: str | None = None


@dataclass(frozen=True, slots=True)
class EditDraft(Command):
    """Replace what a draft says and to whom (a template draft is rendered again)."""

    crisis_id: str
    draft_id: str
    variables: dict[str, Any] | None = None  # template drafts
    texts: tuple[tuple[str, str], ...] | None = None  # free-text drafts
    version: int | None = None
    audiences: tuple[Audience, ...] = ()
    lists: tuple[str, ...] = ()
    channels: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class SubmitDraft(Command):
    crisis_id: str
    draft_id: str


@dataclass(frozen=True, slots=True)
class ApproveDraft(Command):
    crisis_id: str
    draft_id: str


@dataclass(frozen=True, slots=True)
class RejectDraft(Command):
    crisis_id: str
    draft_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SendDraft(Command):
    crisis_id: str
    draft_id: str


@dataclass(frozen=True, slots=True)
class SaveTemplate(Command):
    """A new version of a custom template: its manifest and one source per variant."""

    name: str
    manifest: dict[str, Any]
    sources: dict[str, str]
