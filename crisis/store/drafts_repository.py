"""Prepared messages (drafts) and the versions of custom templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from crisis.domain.drafts import Draft, DraftOrigin, DraftState
from crisis.domain.errors import NotFound
from crisis.domain.vocabulary import Audience
from crisis.store.tables import message_drafts, message_templates


def _values(draft: Draft) -> dict[str, Any]:
    return {
        "crisis_id": draft.crisis_id,
        "origin": draft.origin.value,
        "state": draft.state.value,
        "template": draft.template,
        "template_version": draft.template_version,
        "variables": draft.variables,
        "rendered": draft.rendered,
        "texts": draft.texts,
        "audiences": [a.value for a in draft.audiences],
        "lists": list(draft.lists),
        "channels": list(draft.channels) if draft.channels is not None else None,
        "msg_type": draft.msg_type,
        "references_id": draft.references_id,
        "exercise": draft.exercise,
        "needs_approval": draft.needs_approval,
        "created_by": draft.created_by,
        "created_at": draft.created_at,
        "updated_by": draft.updated_by,
        "updated_at": draft.updated_at,
        "submitted_by": draft.submitted_by,
        "submitted_at": draft.submitted_at,
        "decided_by": draft.decided_by,
        "decided_at": draft.decided_at,
        "rejection_reason": draft.rejection_reason,
        "sent_by": draft.sent_by,
        "sent_at": draft.sent_at,
        "message_id": draft.message_id,
    }


def _draft(row: Any) -> Draft:
    return Draft(
        id=row.id,
        crisis_id=row.crisis_id,
        origin=DraftOrigin(row.origin),
        state=DraftState(row.state),
        template=row.template,
        template_version=row.template_version,
        variables=dict(row.variables),
        rendered=list(row.rendered),
        texts=dict(row.texts),
        audiences=tuple(Audience(a) for a in row.audiences),
        lists=tuple(row.lists),
        channels=tuple(row.channels) if row.channels is not None else None,
        msg_type=row.msg_type,
        references_id=row.references_id,
        exercise=row.exercise,
        needs_approval=row.needs_approval,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        rejection_reason=row.rejection_reason,
        sent_by=row.sent_by,
        sent_at=row.sent_at,
        message_id=row.message_id,
    )


class DraftRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, draft: Draft) -> None:
        self._conn.execute(insert(message_drafts).values(id=draft.id, **_values(draft)))

    def save(self, draft: Draft) -> None:
        self._conn.execute(
            update(message_drafts).where(message_drafts.c.id == draft.id).values(**_values(draft))
        )

    def find(self, draft_id: str) -> Draft | None:
        row = self._conn.execute(
            select(message_drafts).where(message_drafts.c.id == draft_id)
        ).first()
        return _draft(row) if row is not None else None

    def get(self, draft_id: str, *, crisis_id: str | None = None) -> Draft:
        draft = self.find(draft_id)
        if draft is None or (crisis_id is not None and draft.crisis_id != crisis_id):
            raise NotFound(f"Aucun message préparé ne porte l'identifiant « {draft_id} ».")
        return draft

    def of_crisis(self, crisis_id: str, *, state: DraftState | None = None) -> list[Draft]:
        query = select(message_drafts).where(message_drafts.c.crisis_id == crisis_id)
        if state is not None:
            query = query.where(message_drafts.c.state == state.value)
        rows = self._conn.execute(
            query.order_by(message_drafts.c.created_at, message_drafts.c.id)
        ).all()
        return [_draft(row) for row in rows]

    def in_state(self, state: DraftState) -> list[Draft]:
        """Every crisis's drafts in one state, oldest first (the préfet's queue)."""
        rows = self._conn.execute(
            select(message_drafts)
            .where(message_drafts.c.state == state.value)
            .order_by(message_drafts.c.updated_at, message_drafts.c.id)
        ).all()
        return [_draft(row) for row in rows]


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    name: str
    version: int
    manifest: dict[str, Any]
    sources: dict[str, str]
    created_by: str
    created_at: datetime


class TemplateRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, template: StoredTemplate) -> None:
        self._conn.execute(
            insert(message_templates).values(
                name=template.name,
                version=template.version,
                manifest=template.manifest,
                sources=template.sources,
                created_by=template.created_by,
                created_at=template.created_at,
            )
        )

    def latest_version(self, name: str) -> int | None:
        value = self._conn.execute(
            select(func.max(message_templates.c.version)).where(message_templates.c.name == name)
        ).scalar_one_or_none()
        return int(value) if value is not None else None

    def keys(self) -> set[tuple[str, int]]:
        rows = self._conn.execute(
            select(message_templates.c.name, message_templates.c.version)
        ).all()
        return {(row.name, row.version) for row in rows}

    def get(self, name: str, version: int) -> StoredTemplate | None:
        row = self._conn.execute(
            select(message_templates).where(
                message_templates.c.name == name, message_templates.c.version == version
            )
        ).first()
        if row is None:
            return None
        return StoredTemplate(
            name=row.name,
            version=row.version,
            manifest=dict(row.manifest),
            sources=dict(row.sources),
            created_by=row.created_by,
            created_at=row.created_at,
        )
