"""Prepared messages: compose from a template, submit, approve or reject, send; and the
custom templates of the communication cell."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crisis.domain.crisis import Crisis
from crisis.domain.draft_commands import (
    ApproveDraft,
    ComposeMessage,
    EditDraft,
    RejectDraft,
    SaveTemplate,
    SendDraft,
    SubmitDraft,
)
from crisis.domain.draft_events import (
    DraftApproved,
    DraftEdited,
    DraftRejected,
    DraftSent,
    DraftSubmitted,
)
from crisis.domain.drafts import (
    Draft,
    DraftOrigin,
    DraftState,
    needs_approval,
    texts_from_template,
)
from crisis.domain.errors import Conflict, FieldCheck, InvalidInput
from crisis.domain.messages import MessageTexts, MessageType
from crisis.domain.vocabulary import Audience
from crisis.jsonable import to_jsonable
from crisis.services.context import HandlerContext, Outcome, catalog_of
from crisis.services.message_handlers import (
    SentMessage,
    check_reference,
    check_target,
    deliver,
    draft_composed,
    ensure_open,
    usable_channels,
)
from crisis.services.preparation import PrepareContext
from crisis.services.template_library import InvalidTemplate, TemplateLibrary
from crisis.store.crises_repository import ConcurrentUpdate
from crisis.store.drafts_repository import StoredTemplate
from crisis.store.journal import SYSTEM_STREAM
from crisis.templating.errors import (
    RenderError,
    TemplateError,
    TemplateValidationError,
    UnknownTemplateError,
    VariableError,
)
from crisis.templating.manifest import NAME_PATTERN
from crisis.templating.registry import TemplateDefinition, TemplateRegistry

AUDIENCE_LABELS = {Audience.ELUS: "élus", Audience.PUBLIC: "public", Audience.MEDIA: "médias"}


@dataclass(frozen=True, slots=True)
class DraftSendResult:
    draft_id: str
    sent: SentMessage


def _library(ctx: HandlerContext | PrepareContext) -> TemplateLibrary:
    if ctx.templates is None:
        raise RuntimeError("no template library wired into the bus")
    return ctx.templates


@dataclass(frozen=True, slots=True)
class _Rendering:
    version: int
    variables: dict[str, Any]
    rendered: list[dict[str, Any]]
    texts: dict[str, str]


def variable_problems(error: VariableError) -> dict[str, str]:
    """Each wrong variable on its own field (`variables.NAME`), in French; the unknown ones
    together on `variables`."""
    problems = {f"variables.{name}": "Ce champ est obligatoire." for name in error.missing}
    for name, reason in error.invalid:
        problems.setdefault(f"variables.{name}", reason[:1].upper() + reason[1:] + ".")
    if error.unknown:
        problems["variables"] = "Variable(s) inconnue(s) : " + ", ".join(error.unknown) + "."
    return problems


def render_for(
    registry: TemplateRegistry,
    *,
    exercise: bool,
    marker: str,
    template: str,
    version: int | None,
    variables: dict[str, Any],
    audiences: Sequence[Audience],
) -> _Rendering:
    """Render every variant for a crisis (marked in an exercise); a variable or a variant
    that does not fit is a 422 naming it. Called by the preparations, before any
    transaction: a slow template delays no one but its author."""
    try:
        loaded = registry.get(template, version=version)
    except UnknownTemplateError as error:
        raise InvalidInput("template", error.message) from None
    manifest = loaded.manifest
    if manifest.internal:
        raise InvalidInput(
            "template",
            f"Le modèle « {template} » sert aux appels internes de la cellule : "
            "il ne s'adresse à aucun public.",
        )
    check = FieldCheck()  # the audiences and every variable: all their problems at once
    foreign = [a for a in audiences if a not in manifest.audiences]
    if foreign:
        meant = ", ".join(AUDIENCE_LABELS[a] for a in manifest.audiences)
        check.add(
            "audiences",
            f"Le modèle « {template} » est écrit pour : {meant} ; il ne convient pas à : "
            + ", ".join(AUDIENCE_LABELS[a] for a in foreign)
            + ".",
        )
    try:
        rendered = registry.render_unchecked(
            template,
            version=loaded.version,
            variables=variables,
            exercise=exercise,
            marker=marker,
        )
    except VariableError as error:
        for field, message in variable_problems(error).items():
            check.add(field, message)
        summary = [check.fields["audiences"]] if "audiences" in check.fields else []
        check.done(" ".join([*summary, error.message]))
        raise AssertionError("a variable error names at least one variable") from None
    except RenderError as error:
        raise InvalidInput(f"variants.{error.variant}", error.message) from None
    except TemplateError as error:
        raise InvalidInput("template", error.message) from None
    check.done()
    unfit = [r for r in rendered.variants if not r.fits]
    if unfit:
        raise InvalidInput(
            f"variants.{unfit[0].variant.value}",
            " ; ".join(rendered.overruns) + ". Raccourcissez les variables concernées.",
        )
    return _Rendering(
        version=loaded.version,
        variables=to_jsonable(dict(variables)),
        rendered=[r.as_dict() for r in rendered.variants],
        texts=texts_from_template({r.variant.value: r.text for r in rendered.variants}),
    )


def _unique_audiences(audiences: Sequence[Audience]) -> tuple[Audience, ...]:
    return tuple(dict.fromkeys(audiences))


def _check_channels(ctx: HandlerContext, crisis: Crisis, channels: Sequence[str] | None) -> None:
    if channels is not None and ctx.catalog is not None:
        usable_channels(catalog_of(ctx), exercise=crisis.exercise, restrict=channels)


def _registry_and_crisis(
    prep: PrepareContext, crisis_id: str, draft_id: str | None = None
) -> tuple[TemplateRegistry, Crisis, Draft | None]:
    """A short read: the templates stored so far, the event (and the draft)."""
    with prep.reading() as uow:
        crisis = uow.crises.get(crisis_id)
        draft = uow.drafts.get(draft_id, crisis_id=crisis.id) if draft_id is not None else None
        return _library(prep).registry(uow), crisis, draft


def prepare_compose(cmd: ComposeMessage, prep: PrepareContext) -> _Rendering:
    registry, crisis, _ = _registry_and_crisis(prep, cmd.crisis_id)
    return render_for(
        registry,
        exercise=crisis.exercise,
        marker=prep.settings.exercise_marker,
        template=cmd.template,
        version=cmd.version,
        variables=cmd.variables,
        audiences=_unique_audiences(cmd.audiences),
    )


def _prepared_rendering(ctx: HandlerContext) -> _Rendering:
    if ctx.prepared is None:
        raise RuntimeError("a template draft is rendered by its command's preparation")
    return ctx.prepared.get(_Rendering)


def compose_message(cmd: ComposeMessage, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    ensure_open(crisis)
    audiences = _unique_audiences(cmd.audiences)
    lists = tuple(dict.fromkeys(cmd.lists))
    check_target(audiences, lists)
    check_reference(ctx, crisis, cmd.msg_type, cmd.references_id)
    _check_channels(ctx, crisis, cmd.channels)
    rendering = _prepared_rendering(ctx)
    draft = Draft(
        id=ctx.new_id(),
        crisis_id=crisis.id,
        origin=DraftOrigin.TEMPLATE,
        state=DraftState.DRAFT,
        audiences=audiences,
        lists=lists,
        channels=cmd.channels,
        msg_type=cmd.msg_type,
        references_id=cmd.references_id,
        exercise=crisis.exercise,
        needs_approval=needs_approval(audiences, lists, ctx.settings.approval_audiences),
        texts=rendering.texts,
        created_by=ctx.actor.name,
        created_at=ctx.now,
        updated_by=ctx.actor.name,
        updated_at=ctx.now,
        template=cmd.template,
        template_version=rendering.version,
        variables=rendering.variables,
        rendered=rendering.rendered,
    )
    ctx.uow.drafts.add(draft)
    crisis.record_event(draft_composed(draft))
    ctx.uow.crises.save(crisis)
    return Outcome(result=draft.id, stream=crisis.id)


def _load(ctx: HandlerContext, crisis_id: str, draft_id: str) -> tuple[Crisis, Draft]:
    crisis = ctx.uow.crises.get(crisis_id, for_update=True)
    ctx.touched.append(crisis)
    draft = ctx.uow.drafts.get(draft_id, crisis_id=crisis.id)
    return crisis, draft


def _done(ctx: HandlerContext, crisis: Crisis, draft: Draft) -> Outcome:
    ctx.uow.drafts.save(draft)
    ctx.uow.crises.save(crisis)
    return Outcome(result=draft.id, stream=crisis.id)


def prepare_edit(cmd: EditDraft, prep: PrepareContext) -> _Rendering | None:
    """A template draft rendered again (with its stored variables unless new ones are
    given); a free-text draft has nothing to render."""
    registry, crisis, draft = _registry_and_crisis(prep, cmd.crisis_id, cmd.draft_id)
    assert draft is not None
    if draft.origin is not DraftOrigin.TEMPLATE or draft.template is None:
        return None
    return render_for(
        registry,
        exercise=crisis.exercise,
        marker=prep.settings.exercise_marker,
        template=draft.template,
        version=cmd.version,
        variables=cmd.variables if cmd.variables is not None else draft.variables,
        audiences=_unique_audiences(cmd.audiences),
    )


def edit_draft(cmd: EditDraft, ctx: HandlerContext) -> Outcome:
    crisis, draft = _load(ctx, cmd.crisis_id, cmd.draft_id)
    ensure_open(crisis)
    draft.ensure_editable()
    audiences = _unique_audiences(cmd.audiences)
    lists = tuple(dict.fromkeys(cmd.lists))
    check_target(audiences, lists)
    _check_channels(ctx, crisis, cmd.channels)
    if draft.origin is DraftOrigin.TEMPLATE:
        if cmd.texts is not None:
            raise InvalidInput(
                "texts", "Ce message vient d'un modèle : modifiez ses variables, pas ses textes."
            )
        rendering = _prepared_rendering(ctx)
        if cmd.variables is None and to_jsonable(dict(draft.variables)) != rendering.variables:
            raise ConcurrentUpdate()  # edited meanwhile: prepared again on the new variables
        texts, variables, rendered = rendering.texts, rendering.variables, rendering.rendered
        version: int | None = rendering.version
    else:
        if cmd.texts is None:
            raise InvalidInput("texts", "Donnez les textes du message.")
        parsed = MessageTexts.parse(dict(cmd.texts))
        if crisis.exercise:
            parsed = parsed.marked(ctx.settings.exercise_marker)
        texts, variables, rendered, version = dict(parsed.variants), {}, [], None
    draft.edit(
        by=ctx.actor.name,
        at=ctx.now,
        texts=texts,
        variables=variables,
        rendered=rendered,
        template_version=version,
        audiences=audiences,
        lists=lists,
        channels=cmd.channels,
        needs_approval=needs_approval(audiences, lists, ctx.settings.approval_audiences),
    )
    crisis.record_event(
        DraftEdited(
            crisis_id=crisis.id,
            draft_id=draft.id,
            template_version=version,
            audiences=tuple(a.value for a in audiences),
            lists=lists,
            needs_approval=draft.needs_approval,
            edited_by=ctx.actor.name,
        )
    )
    return _done(ctx, crisis, draft)


def submit_draft(cmd: SubmitDraft, ctx: HandlerContext) -> Outcome:
    crisis, draft = _load(ctx, cmd.crisis_id, cmd.draft_id)
    ensure_open(crisis)
    draft.submit(by=ctx.actor.name, at=ctx.now)
    crisis.record_event(
        DraftSubmitted(crisis_id=crisis.id, draft_id=draft.id, submitted_by=ctx.actor.name)
    )
    return _done(ctx, crisis, draft)


def approve_draft(cmd: ApproveDraft, ctx: HandlerContext) -> Outcome:
    crisis, draft = _load(ctx, cmd.crisis_id, cmd.draft_id)
    ensure_open(crisis)
    draft.approve(by=ctx.actor.name, at=ctx.now)
    crisis.record_event(
        DraftApproved(
            crisis_id=crisis.id,
            draft_id=draft.id,
            approved_by=ctx.actor.name,
            author=draft.created_by,
        )
    )
    return _done(ctx, crisis, draft)


def reject_draft(cmd: RejectDraft, ctx: HandlerContext) -> Outcome:
    crisis, draft = _load(ctx, cmd.crisis_id, cmd.draft_id)
    ensure_open(crisis)
    draft.reject(by=ctx.actor.name, at=ctx.now, reason=cmd.reason)
    assert draft.rejection_reason is not None
    crisis.record_event(
        DraftRejected(
            crisis_id=crisis.id,
            draft_id=draft.id,
            rejected_by=ctx.actor.name,
            reason=draft.rejection_reason,
        )
    )
    return _done(ctx, crisis, draft)


def send_draft(cmd: SendDraft, ctx: HandlerContext) -> Outcome:
    crisis, draft = _load(ctx, cmd.crisis_id, cmd.draft_id)
    ensure_open(crisis)
    # The setting as it stands now: an audience that came to need approval since the
    # draft was composed is not sent without it.
    if needs_approval(draft.audiences, draft.lists, ctx.settings.approval_audiences):
        draft.needs_approval = True
    draft.ensure_sendable()
    msg_type = check_reference(ctx, crisis, draft.msg_type, draft.references_id)
    sent = deliver(
        ctx,
        crisis,
        texts=MessageTexts.parse(draft.texts),
        audiences=draft.audiences,
        lists=draft.lists,
        channels=draft.channels,
        msg_type=MessageType(msg_type),
        references_id=draft.references_id,
        author=draft.created_by,
    )
    approved_by = draft.decided_by if draft.state is DraftState.APPROVED else None
    draft.mark_sent(by=ctx.actor.name, at=ctx.now, message_id=sent.message_id)
    crisis.record_event(
        DraftSent(
            crisis_id=crisis.id,
            draft_id=draft.id,
            message_id=sent.message_id,
            sent_by=ctx.actor.name,
            approved_by=approved_by,
        )
    )
    ctx.uow.drafts.save(draft)
    ctx.uow.crises.save(crisis)
    return Outcome(result=DraftSendResult(draft.id, sent), stream=crisis.id)


# ---------------------------------------------------------------------- custom templates


@dataclass(frozen=True, slots=True)
class _TemplateVersion:
    name: str
    version: int
    manifest: dict[str, Any]


def prepare_template(cmd: SaveTemplate, prep: PrepareContext) -> _TemplateVersion:
    """The new version checked (compiled, rendered with its examples, measured) before the
    transaction that stores it."""
    library = _library(prep)
    name = cmd.name.strip()
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidInput(
            "name",
            "Nom de modèle invalide : minuscules, chiffres et _, en commençant par une lettre.",
        )
    if name in library.bundled_names:
        raise Conflict(
            f"Le modèle « {name} » est fourni avec le service : il ne peut pas être modifié. "
            "Enregistrez un modèle personnalisé sous un autre nom."
        )
    with prep.reading() as uow:
        version = (uow.templates.latest_version(name) or 0) + 1
    manifest = dict(cmd.manifest)
    for key, expected in (("name", name), ("version", version)):
        if key in manifest and manifest[key] != expected:
            raise InvalidInput(
                f"manifest.{key}",
                f"Le manifeste annonce {key} = « {manifest[key]} » ; attendu « {expected} » "
                "(le nom vient de l'adresse, la version est attribuée par le service).",
            )
        manifest[key] = expected
    try:
        library.validate(
            TemplateDefinition(name=name, version=version, manifest=manifest, sources=cmd.sources)
        )
    except TemplateValidationError as error:
        raise InvalidTemplate(error) from None
    return _TemplateVersion(name=name, version=version, manifest=manifest)


def save_template(cmd: SaveTemplate, ctx: HandlerContext) -> Outcome:
    """A new version of a custom template, stored only once it is sound."""
    if ctx.prepared is None:
        raise RuntimeError("a template version is checked by its command's preparation")
    checked = ctx.prepared.get(_TemplateVersion)
    name, version = checked.name, checked.version
    if (ctx.uow.templates.latest_version(name) or 0) + 1 != version:
        raise ConcurrentUpdate()  # another version stored meanwhile: checked again
    ctx.uow.templates.add(
        StoredTemplate(
            name=name,
            version=version,
            manifest=checked.manifest,
            sources=dict(cmd.sources),
            created_by=ctx.actor.name,
            created_at=ctx.now,
        )
    )
    return Outcome(
        result={"name": name, "version": version},
        stream=SYSTEM_STREAM,
        journal={"name": name, "version": version},
    )
