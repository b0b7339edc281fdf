"""Writing a template from the console: a new version, or a new custom template.

The form is prefilled from the latest version (or from the template chosen as a starting
point). « Vérifier et prévisualiser » rehearses the SaveTemplate command (`MessageBus.
rehearse`: the same handler and sandbox checks as the API, nothing kept) and renders the
version with its example values for each channel; « Enregistrer la version » then runs the
command. Content that was not checked and previewed as it stands is checked again, not saved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from crisis.domain.draft_commands import SaveTemplate
from crisis.domain.errors import Conflict, InvalidInput
from crisis.domain.vocabulary import Audience
from crisis.labels import AUDIENCE_LABELS, VARIABLE_TYPE_LABELS
from crisis.services.bus import ensure_may_run
from crisis.templating.errors import TemplateError
from crisis.templating.limits import Variant
from crisis.templating.registry import LoadedTemplate, Origin, TemplateDefinition
from crisis.templating.variables import VariableType
from crisis.web import forms, template_form
from crisis.web.commands import KEY_FIELD, run
from crisis.web.pages.modeles import library_of, loaded
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of
from crisis.web.template_form import GENERAL, Refusal, VersionForm

router = console_router()

NEW = "/modeles/nouveau-modele"  # a hyphen: no template can bear this name
CHANGED = (
    "Le modèle a changé depuis sa dernière vérification : relisez cet aperçu, puis "
    "enregistrez la version."
)
BLANK_VARIABLE = {
    "name": "",
    "type": "str",
    "description": "",
    "required": True,
    "example": "",
    "default": "",
}


@dataclass(frozen=True, slots=True)
class Target:
    """What the form writes: a new version of `name`, or a new template (`creating`) with
    `base` as its starting point (None: empty)."""

    creating: bool
    name: str
    base: LoadedTemplate | None

    @property
    def action(self) -> str:
        return NEW if self.creating else f"/modeles/{self.name}/nouvelle-version"


def _editor(
    request: Request,
    session: SignedIn,
    target: Target,
    values: dict[str, Any],
    key: str,
    *,
    refused: list[Refusal] | None = None,
    status: int = 200,
    checked: dict[str, Any] | None = None,
) -> Response:
    with service_of(request).bus.reading() as uow:
        registry = library_of(request).registry(uow)
        starts = [(t.name, f"{t.manifest.title} ({t.name})") for t in registry.templates()]
    sources = values["sources"]
    context: dict[str, Any] = {
        "target": target,
        "values": {**values, "variables": [*values["variables"], BLANK_VARIABLE]},
        "key": key,
        "refused": refused or [],
        "errors": template_form.by_field(refused or []),
        "wrong_rows": template_form.rows_refused(refused or []),
        "starts": starts,
        "audience_options": [(a.value, AUDIENCE_LABELS[a]) for a in Audience],
        "type_options": [(t.value, VARIABLE_TYPE_LABELS[t.value]) for t in VariableType],
        "type_labels": VARIABLE_TYPE_LABELS,
        "declared": [v.value for v in Variant if sources.get(v.value)],
        "undeclared": [v.value for v in Variant if not sources.get(v.value)],
        "preview": None,
        "next_version": None,
        "checked": "",
        "notice": "",
        **(checked or {}),
    }
    return page(request, "modele_edition.html.j2", context, session=session, status_code=status)


def _may_save(session: SignedIn) -> None:
    """The form is for those who may save (the command table's rule): others get a 403."""
    ensure_may_run(session.actor, SaveTemplate)


@router.get(NEW)
def new_template(request: Request, session: CurrentUser, depuis: str = "") -> Response:
    _may_save(session)
    base = None
    if depuis:
        with service_of(request).bus.reading() as uow:
            base = loaded(library_of(request).registry(uow), depuis)
    values = {**template_form.prefilled(base), "name": ""}
    return _editor(request, session, Target(True, "", base), values, str(uuid.uuid4()))


@router.get("/modeles/{name}/nouvelle-version")
def new_version(request: Request, session: CurrentUser, name: str) -> Response:
    _may_save(session)
    with service_of(request).bus.reading() as uow:
        latest = loaded(library_of(request).registry(uow), name)
    if latest.origin is Origin.BUNDLED:  # read only: a custom template may start from it
        return RedirectResponse(f"{NEW}?depuis={name}", status_code=303)
    values = template_form.prefilled(latest)
    return _editor(request, session, Target(False, name, latest), values, str(uuid.uuid4()))


def _check(
    request: Request, session: SignedIn, target: Target, edited: VersionForm, exercise: bool
) -> tuple[list[Refusal], dict[str, Any]]:
    """The command rehearsed, then each variant rendered with the examples; or the refusals."""
    command = SaveTemplate(name=edited.name, manifest=edited.manifest, sources=edited.sources)
    try:
        saved = service_of(request).bus.rehearse(command, actor=session.actor)
    except (InvalidInput, Conflict) as error:
        conflict = "name" if target.creating else GENERAL
        return template_form.refusals(error, edited.values, conflict=conflict), {}
    name, version = saved["name"], saved["version"]
    definition = TemplateDefinition(
        name=name,
        version=version,
        manifest={**edited.manifest, "name": name, "version": version},
        sources=edited.sources,
    )
    try:
        trial = library_of(request).trial(definition)
        preview = trial.preview(
            name,
            variables=trial.get(name).manifest.examples(),
            exercise=exercise,
            marker=service_of(request).settings.exercise_marker,
        )
    except TemplateError as error:  # validated by the rehearsal: only a race could land here
        return [Refusal(GENERAL, "", "", error.message)], {}
    checked = {
        "preview": preview["variants"],
        "next_version": version,
        "checked": edited.fingerprint,
    }
    return [], checked


def _taken(request: Request, name: str) -> list[Refusal]:
    """A new template under the name of a custom one would be its next version: said so."""
    with service_of(request).bus.reading() as uow:
        registry = library_of(request).registry(uow)
        custom = {t.name for t in registry.templates() if t.origin is Origin.CUSTOM}
    if name not in custom:
        return []
    detail = (
        f"Un modèle personnalisé s'appelle déjà « {name} » : choisissez un autre nom, ou "
        "enregistrez-en une nouvelle version depuis sa page."
    )
    return [Refusal("name", "champ-name", template_form.PLACES["name"], detail)]


def _submitted(request: Request, session: SignedIn, form: FormData, target: Target) -> Response:
    key = forms.text(form, KEY_FIELD, limit=100) or str(uuid.uuid4())
    try:
        edited = template_form.read(form, target.name)
    except InvalidInput as error:  # a field far too long: nothing else is read
        values = {**template_form.prefilled(target.base), "name": target.name}
        refused = template_form.refusals(error, values)
        return _editor(request, session, target, values, key, refused=refused, status=422)
    values = {**edited.values, "name": target.name}
    exercise = form.get("exercise_preview") == "oui"
    values["exercise_preview"] = exercise
    refused = _taken(request, target.name) if target.creating else []
    checked: dict[str, Any] = {}
    if not refused:
        refused, checked = _check(request, session, target, edited, exercise)
    if refused:
        return _editor(request, session, target, values, key, refused=refused, status=422)
    saving = form.get("action") == "enregistrer"
    if not saving or form.get("checked") != edited.fingerprint:
        checked["notice"] = CHANGED if saving else ""
        return _editor(request, session, target, values, key, checked=checked)
    command = SaveTemplate(name=target.name, manifest=edited.manifest, sources=edited.sources)
    try:
        saved = run(request, session, form, command)
    except (InvalidInput, Conflict) as error:  # a version saved meanwhile, a reused key
        status = 409 if isinstance(error, Conflict) else 422
        refused = template_form.refusals(error, values)
        return _editor(request, session, target, values, key, refused=refused, status=status)
    url = f"/modeles/{saved['name']}?version={saved['version']}&fait=enregistre"
    return RedirectResponse(url, status_code=303)


@router.post(NEW)
def create_template(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    _may_save(session)
    base = None
    depuis = forms.text(form, "depuis", limit=100)
    if depuis:
        with service_of(request).bus.reading() as uow:
            base = loaded(library_of(request).registry(uow), depuis)
    target = Target(True, forms.text(form, "name", limit=100), base)
    return _submitted(request, session, form, target)


@router.post("/modeles/{name}/nouvelle-version")
def add_version(request: Request, session: CurrentUser, name: str, form: PostedForm) -> Response:
    _may_save(session)
    with service_of(request).bus.reading() as uow:
        latest = loaded(library_of(request).registry(uow), name)
    return _submitted(request, session, form, Target(False, name, latest))
