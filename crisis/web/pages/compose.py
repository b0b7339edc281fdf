"""Rédiger un message: from a template (a generated form, a live preview per channel) or as
free text; then submitted to the préfet, or sent when no audience needs approval."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from crisis.clock import PARIS
from crisis.domain.draft_commands import ComposeMessage, SendDraft, SubmitDraft
from crisis.domain.drafts import needs_approval
from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import Audience
from crisis.labels import AUDIENCE_LABELS
from crisis.services.draft_views import draft_view
from crisis.store.unit_of_work import UnitOfWork
from crisis.templating.errors import TemplateError, UnknownTemplateError, VariableError
from crisis.templating.registry import LoadedTemplate, TemplateRegistry
from crisis.templating.variables import VariableType
from crisis.web import forms
from crisis.web.commands import run, run_answer
from crisis.web.field_errors import field_errors
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of
from crisis.web.views import live_summary

router = console_router()

VAR_PREFIX = "var_"


def _registry(request: Request, uow: UnitOfWork) -> TemplateRegistry:
    library = service_of(request).bus.templates
    if library is None:
        raise RuntimeError("no template library wired into the bus")
    return library.registry(uow)


def _template(registry: TemplateRegistry, name: str) -> LoadedTemplate:
    try:
        return registry.get(name)
    except UnknownTemplateError as error:
        raise InvalidInput("template", error.message) from None


def _variables(form: FormData, template: LoadedTemplate) -> dict[str, object]:
    """The template's variables from the generated form; empty optional fields left out."""
    values: dict[str, object] = {}
    for spec in template.manifest.variables:
        field = VAR_PREFIX + spec.name
        if spec.type is VariableType.COMMUNES:
            names = forms.choices(form, field)
            names += [
                n.strip() for n in forms.text(form, field + "_autres").split(",") if n.strip()
            ]
            if names:
                values[spec.name] = names
            continue
        raw = forms.text(form, field, limit=5000)
        if not raw:
            continue
        if spec.type is VariableType.DATETIME:
            instant = forms.paris_instant(form, field)
            values[spec.name] = instant.isoformat() if instant else raw
        else:
            values[spec.name] = raw
    return values


def _field_values(
    template: LoadedTemplate, crisis_communes: list[str], since: datetime
) -> dict[str, Any]:
    """What the generated form shows at first: defaults, the event's communes, and for a
    date (« depuis ») the préfet's decision, else the event's report: not the page's loading."""
    values: dict[str, Any] = {}
    for spec in template.manifest.variables:
        if spec.type is VariableType.COMMUNES:
            values[spec.name] = list(crisis_communes)
        elif spec.type is VariableType.DATETIME and spec.required:
            values[spec.name] = since.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
        elif spec.default is not None:
            values[spec.name] = str(spec.default)
        else:
            values[spec.name] = ""
    return values


def _posted_values(form: FormData, template: LoadedTemplate) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in template.manifest.variables:
        field = VAR_PREFIX + spec.name
        if spec.type is VariableType.COMMUNES:
            values[spec.name] = forms.choices(form, field)
            values[spec.name + "_autres"] = forms.text(form, field + "_autres")
        else:
            values[spec.name] = forms.text(form, field, limit=5000)
    return values


def _example(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            return value
    return "" if value is None else str(value)


def _preview(
    request: Request,
    registry: TemplateRegistry,
    template: LoadedTemplate,
    variables: dict[str, object],
    *,
    exercise: bool,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Each variant as it will go out, measured for its channel; or the variables' errors.
    Called once the page's reading transaction is closed: rendering holds no lock."""
    try:
        preview = registry.preview(
            template.name,
            variables=variables,
            exercise=exercise,
            marker=service_of(request).settings.exercise_marker,
        )
    except VariableError as error:
        problems = {name: "obligatoire" for name in error.missing}
        problems.update({name: reason for name, reason in error.invalid})
        return [], problems or {"template": error.message}
    except TemplateError as error:
        return [], {"template": error.message}
    variants: list[dict[str, Any]] = list(preview["variants"])  # type: ignore[call-overload]
    return variants, {}


def _compose_page(
    request: Request,
    session: SignedIn,
    crisis_id: str,
    form: FormData | None,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    template_name: str | None = None,
) -> Response:
    service = service_of(request)
    now = service.clock.now()
    variables: dict[str, object] = {}
    with service.bus.reading() as uow:
        crisis = uow.crises.get(crisis_id)
        summary = live_summary(uow, service.situations, crisis.id, now, last_alerts=0)
        registry = _registry(request, uow)
        templates = [t for t in registry.templates() if not t.manifest.internal]
        lists = [(c.name, c.name) for c in uow.contacts.lists()]
        name = template_name or (forms.text(form, "template", limit=63) if form else "")
        template = _template(registry, name) if name else None
        context: dict[str, Any] = {
            "crisis": summary,
            "templates": [(t.name, t.manifest.title) for t in templates],
            "template": template,
            "lists": lists,
            "audience_options": [(a.value, AUDIENCE_LABELS[a.value]) for a in Audience],
            "errors": {
                (VAR_PREFIX + k if k not in ("audiences", "lists", "template") else k): v
                for k, v in (errors or {}).items()
            },
            "variants": [],
            "preview_errors": {},
            "idempotency_key": forms.text(form, "idempotency_key", limit=100)
            if form
            else str(uuid.uuid4()),
        }
        if template is not None:
            manifest = template.manifest
            context["specs"] = [
                {
                    "name": s.name,
                    "type": s.type.value,
                    "description": s.description,
                    "required": s.required,
                    "example": _example(s.example),
                }
                for s in manifest.variables
            ]
            # The summary of errors names each variable (« Situation : … »).
            context["variable_labels"] = {
                VAR_PREFIX + s.name: s.description for s in manifest.variables
            }
            if form is not None and form.get("template_loaded") == "oui":
                context["values"] = _posted_values(form, template)
                context["audiences"] = [a.value for a in forms.audiences(form)]
                context["lists_chosen"] = forms.choices(form, "lists")
                variables = _variables(form, template)
            else:
                since = crisis.activation.decided_at if crisis.activation else crisis.reported_at
                context["values"] = _field_values(template, summary.communes, since)
                context["audiences"] = [a.value for a in manifest.audiences]
                context["lists_chosen"] = []
                variables = {}  # nothing to preview before anything is typed
            context["commune_options"] = [
                (c, c) for c in sorted(set(summary.communes) | set(service.settings.communes))
            ]
            context["needs_approval"] = needs_approval(
                [Audience(a) for a in context["audiences"]],
                context["lists_chosen"],
                service.settings.approval_audiences,
            )
    if template is not None and variables:
        context["variants"], context["preview_errors"] = _preview(
            request, registry, template, variables, exercise=crisis.exercise
        )
    return page(request, "compose.html.j2", context, session=session, status_code=status)


@router.get("/evenements/{crisis_id}/messages/nouveau")
def compose_form(
    request: Request, crisis_id: str, session: CurrentUser, modele: str = ""
) -> Response:
    return _compose_page(request, session, crisis_id, None, template_name=modele or None)


@router.post("/evenements/{crisis_id}/messages/apercu")
def preview(request: Request, crisis_id: str, session: CurrentUser, form: PostedForm) -> Response:
    """The live preview (htmx): each variant, its length against the limit, the circuit."""
    service = service_of(request)
    with service.bus.reading() as uow:
        crisis = uow.crises.get(crisis_id)
        registry = _registry(request, uow)
    template = _template(registry, forms.text(form, "template", limit=63))
    variants, problems = _preview(
        request, registry, template, _variables(form, template), exercise=crisis.exercise
    )
    approval = needs_approval(
        forms.audiences(form), forms.choices(form, "lists"), service.settings.approval_audiences
    )
    return page(
        request,
        "compose_preview.html.j2",
        {
            "variants": variants,
            "preview_errors": problems,
            "needs_approval": approval,
            "exercise": crisis.exercise,
            "oob": True,
        },
        session=session,
    )


@router.post("/evenements/{crisis_id}/messages")
def compose(request: Request, crisis_id: str, session: CurrentUser, form: PostedForm) -> Response:
    if form.get("action") != "valider":
        # Without JavaScript: « Choisir ce modèle » or « Actualiser l'aperçu ».
        return _compose_page(request, session, crisis_id, form)
    service = service_of(request)
    with service.bus.reading() as uow:
        template = _template(_registry(request, uow), forms.text(form, "template", limit=63))
    try:
        command = ComposeMessage(
            crisis_id=crisis_id,
            template=template.name,
            version=None,
            variables=_variables(form, template),
            audiences=forms.audiences(form),
            lists=tuple(forms.choices(form, "lists")),
            channels=None,
        )

        def present(uow: UnitOfWork, draft_id: Any) -> tuple[int, Any]:
            return 201, draft_view(uow.drafts.get(str(draft_id))).model_dump(mode="json")

        answer = run_answer(request, session, form, command, present)
    except InvalidInput as error:
        errors = {k.removeprefix("variables."): v for k, v in field_errors(error).items()}
        return _compose_page(request, session, crisis_id, form, errors=errors, status=422)
    draft = answer.body
    if answer.replayed:  # a double submit: the first one already went on
        return RedirectResponse(f"/evenements/{crisis_id}#messages", status_code=303)
    if draft["needs_approval"]:
        submit = SubmitDraft(crisis_id=crisis_id, draft_id=draft["draft_id"])
        run(request, session, form, submit, keyed=False)
        return RedirectResponse(f"/evenements/{crisis_id}?fait=soumis#messages", status_code=303)
    send = SendDraft(crisis_id=crisis_id, draft_id=draft["draft_id"])
    run(request, session, form, send, keyed=False)
    return RedirectResponse(f"/evenements/{crisis_id}?fait=envoye#messages", status_code=303)
