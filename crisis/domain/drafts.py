"""Prepared messages and the préfet's approval: a draft goes draft → submitted → approved
(or rejected) → sent. The rules live here; the handlers only load, call and save."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crisis.domain.errors import Conflict, InvalidInput
from crisis.domain.vocabulary import Audience

MAX_REASON_LENGTH = 2000


class DraftState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SENT = "sent"


DRAFT_STATE_LABELS: dict[DraftState, str] = {
    DraftState.DRAFT: "brouillon",
    DraftState.SUBMITTED: "soumis à validation",
    DraftState.APPROVED: "validé",
    DraftState.REJECTED: "refusé",
    DraftState.SENT: "envoyé",
}


class DraftOrigin(StrEnum):
    TEMPLATE = "template"  # rendered from a template and its variables
    FREE_TEXT = "free_text"  # texts typed in, sent to POST /crises/{id}/messages


# A named list reaches people of the directory (élus, media): it needs approval as soon as
# either of these audiences does.
LIST_AUDIENCES = (Audience.ELUS, Audience.MEDIA)


def needs_approval(
    audiences: Collection[Audience], lists: Collection[str], approval: Collection[Audience]
) -> bool:
    if any(a in approval for a in audiences):
        return True
    return bool(lists) and any(a in approval for a in LIST_AUDIENCES)


# Which template variant fills each text variant of a message, in order of preference.
TEXT_FROM_TEMPLATE: dict[str, tuple[str, ...]] = {
    "default": ("telegram", "email_text", "feed", "sms", "x", "cap_description"),
    "sms": ("sms",),
    "x": ("x",),
    "telegram": ("telegram",),
    "email_subject": ("email_subject",),
    "email_text": ("email_text",),
    "email_html": ("email_html",),
    "feed": ("feed",),
    "feed_title": ("email_subject", "cap_headline"),
    "cap_headline": ("cap_headline",),
    "cap_description": ("cap_description",),
    "cap_instruction": ("cap_instruction",),
    "voice": ("voice",),
}


def texts_from_template(rendered: Mapping[str, str]) -> dict[str, str]:
    """Map a template's rendered variants to the text variants of a message."""
    texts: dict[str, str] = {}
    for text_variant, sources in TEXT_FROM_TEMPLATE.items():
        for source in sources:
            if rendered.get(source):
                texts[text_variant] = rendered[source]
                break
    return texts


@dataclass
class Draft:
    id: str
    crisis_id: str
    origin: DraftOrigin
    state: DraftState
    audiences: tuple[Audience, ...]
    lists: tuple[str, ...]
    channels: tuple[str, ...] | None
    msg_type: str
    references_id: str | None
    exercise: bool
    needs_approval: bool
    texts: dict[str, str]  # the message's text variants, as they will be sent
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    template: str | None = None
    template_version: int | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    rendered: list[dict[str, Any]] = field(default_factory=list)  # preview of each variant
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    rejection_reason: str | None = None
    sent_by: str | None = None
    sent_at: datetime | None = None
    message_id: str | None = None

    @property
    def authors(self) -> frozenset[str]:
        return frozenset({self.created_by, self.updated_by})

    def may_be_decided_by(self, name: str) -> bool:
        """The four-eyes rule: whoever wrote or changed a message does not approve or reject it."""
        return name not in self.authors

    def ensure_editable(self) -> None:
        if self.state not in (DraftState.DRAFT, DraftState.REJECTED):
            raise Conflict(
                f"Ce message est {DRAFT_STATE_LABELS[self.state]} : il ne peut plus être modifié. "
                "Rédigez un nouveau message si le texte doit changer."
            )

    def edit(
        self,
        *,
        by: str,
        at: datetime,
        texts: dict[str, str],
        variables: dict[str, Any],
        rendered: list[dict[str, Any]],
        template_version: int | None,
        audiences: tuple[Audience, ...],
        lists: tuple[str, ...],
        channels: tuple[str, ...] | None,
        needs_approval: bool,
    ) -> None:
        self.ensure_editable()
        self.texts = texts
        self.variables = variables
        self.rendered = rendered
        self.template_version = template_version
        self.audiences = audiences
        self.lists = lists
        self.channels = channels
        self.needs_approval = needs_approval
        self.updated_by = by
        self.updated_at = at
        # A rejected message that is corrected goes back to the drafts, to be submitted again.
        self.state = DraftState.DRAFT
        self.decided_by = self.decided_at = self.rejection_reason = None

    def submit(self, *, by: str, at: datetime) -> None:
        if self.state is not DraftState.DRAFT:
            raise Conflict(
                f"Ce message est {DRAFT_STATE_LABELS[self.state]} : seul un brouillon peut être "
                "soumis à validation."
            )
        self.state = DraftState.SUBMITTED
        self.submitted_by = by
        self.submitted_at = at

    def approve(self, *, by: str, at: datetime) -> None:
        if self.state is DraftState.APPROVED or self.state is DraftState.SENT:
            raise Conflict(
                f"Ce message a déjà été validé par {self.decided_by} : rien de plus à faire."
            )
        if self.state is not DraftState.SUBMITTED:
            raise Conflict(
                f"Ce message est {DRAFT_STATE_LABELS[self.state]} : seul un message soumis à "
                "validation peut être validé."
            )
        if not self.may_be_decided_by(by):
            raise Conflict(
                "Vous ne pouvez pas valider un message que vous avez rédigé : la validation "
                "doit venir d'une autre personne (le préfet ou son délégué)."
            )
        self.state = DraftState.APPROVED
        self.decided_by = by
        self.decided_at = at

    def reject(self, *, by: str, at: datetime, reason: str) -> None:
        reason = reason.strip()
        if not reason:
            raise InvalidInput("reason", "Indiquez la raison du refus : elle sera transmise.")
        if len(reason) > MAX_REASON_LENGTH:
            raise InvalidInput("reason", f"La raison dépasse {MAX_REASON_LENGTH} caractères.")
        if self.state is not DraftState.SUBMITTED:
            raise Conflict(
                f"Ce message est {DRAFT_STATE_LABELS[self.state]} : seul un message soumis à "
                "validation peut être refusé."
            )
        if not self.may_be_decided_by(by):
            raise Conflict(
                "Vous ne pouvez pas statuer sur un message que vous avez rédigé : la décision "
                "doit venir d'une autre personne (le préfet ou son délégué)."
            )
        self.state = DraftState.REJECTED
        self.decided_by = by
        self.decided_at = at
        self.rejection_reason = reason

    def ensure_sendable(self) -> None:
        if self.state is DraftState.SENT:
            raise Conflict("Ce message est déjà parti : il ne sera pas envoyé une seconde fois.")
        if self.state is DraftState.APPROVED:
            return
        if self.state is DraftState.DRAFT and not self.needs_approval:
            return
        if self.needs_approval:
            raise Conflict(
                f"Ce message est {DRAFT_STATE_LABELS[self.state]} : il doit être validé par le "
                "préfet (ou son délégué) avant de partir."
            )
        raise Conflict(
            f"Ce message est {DRAFT_STATE_LABELS[self.state]} : il ne peut pas être envoyé."
        )

    def mark_sent(self, *, by: str, at: datetime, message_id: str) -> None:
        self.ensure_sendable()
        self.state = DraftState.SENT
        self.sent_by = by
        self.sent_at = at
        self.message_id = message_id
