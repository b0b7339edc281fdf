"""Read models of prepared messages and of templates."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from crisis.domain.drafts import DRAFT_STATE_LABELS, Draft
from crisis.services.views import Instant
from crisis.templating.registry import LoadedTemplate


class DraftView(BaseModel):
    draft_id: str
    crisis_id: str
    state: str = Field(description="draft, submitted, approved, rejected ou sent.")
    state_label: str
    origin: str = Field(description="template (modèle et variables) ou free_text.")
    template: str | None
    template_version: int | None
    variables: dict[str, Any]
    audiences: list[str]
    lists: list[str]
    channels: list[str] | None
    msg_type: str
    references_id: str | None
    exercise: bool
    needs_approval: bool = Field(description="Vrai si le préfet doit valider avant l'envoi.")
    texts: dict[str, str] = Field(description="Les textes du message, par variante.")
    variants: list[dict[str, Any]] = Field(
        description="Rendu du modèle par canal : channel, text, length, limit, fits…"
    )
    created_by: str
    created_at: Instant
    updated_by: str
    updated_at: Instant
    submitted_by: str | None
    submitted_at: Instant | None
    decided_by: str | None = Field(description="Qui a validé ou refusé.")
    decided_at: Instant | None
    rejection_reason: str | None
    sent_by: str | None
    sent_at: Instant | None
    message_id: str | None


def draft_view(draft: Draft) -> DraftView:
    return DraftView(
        draft_id=draft.id,
        crisis_id=draft.crisis_id,
        state=draft.state.value,
        state_label=DRAFT_STATE_LABELS[draft.state],
        origin=draft.origin.value,
        template=draft.template,
        template_version=draft.template_version,
        variables=draft.variables,
        audiences=[a.value for a in draft.audiences],
        lists=list(draft.lists),
        channels=list(draft.channels) if draft.channels is not None else None,
        msg_type=draft.msg_type,
        references_id=draft.references_id,
        exercise=draft.exercise,
        needs_approval=draft.needs_approval,
        texts=draft.texts,
        variants=draft.rendered,
        created_by=draft.created_by,
        created_at=draft.created_at,
        updated_by=draft.updated_by,
        updated_at=draft.updated_at,
        submitted_by=draft.submitted_by,
        submitted_at=draft.submitted_at,
        decided_by=draft.decided_by,
        decided_at=draft.decided_at,
        rejection_reason=draft.rejection_reason,
        sent_by=draft.sent_by,
        sent_at=draft.sent_at,
        message_id=draft.message_id,
    )


class TemplateSummary(BaseModel):
    name: str
    version: int = Field(description="La dernière version.")
    versions: list[int]
    title: str
    description: str
    audiences: list[str]
    internal: bool
    variants: list[str]
    origin: str = Field(description="bundled (fourni, lecture seule) ou custom.")


class VariableView(BaseModel):
    name: str
    type: str
    description: str
    required: bool
    default: Any
    example: Any


class TemplateDetail(TemplateSummary):
    variables: list[VariableView]
    sources: dict[str, str] = Field(description="Source Jinja2 de chaque variante.")


def template_summary(template: LoadedTemplate, versions: list[int]) -> TemplateSummary:
    manifest = template.manifest
    return TemplateSummary(
        name=template.name,
        version=template.version,
        versions=versions,
        title=manifest.title,
        description=manifest.description,
        audiences=[a.value for a in manifest.audiences],
        internal=manifest.internal,
        variants=[v.value for v in template.variants],
        origin=template.origin.value,
    )


def template_detail(template: LoadedTemplate, versions: list[int]) -> TemplateDetail:
    summary = template_summary(template, versions)
    return TemplateDetail(
        **summary.model_dump(),
        variables=[
            VariableView(
                name=v.name,
                type=v.type.value,
                description=v.description,
                required=v.required,
                default=v.default,
                example=v.example,
            )
            for v in template.manifest.variables
        ],
        sources={v.value: template.sources[v] for v in template.variants},
    )
