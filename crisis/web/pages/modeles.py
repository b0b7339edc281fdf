"""Les modèles (`/modeles`): the message templates, their versions and their differences.

The bundled templates (read only) and the custom ones with who saved each version and when;
one template with its manifest, the source of each variant and its rendering with the
example values (the registry's preview, as the API's); the differences between two versions,
line by line. Reading only: every role may see these pages; writing is in `modeles_edition`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request, Response

from crisis.domain.errors import InvalidInput, NotFound
from crisis.french import long_datetime
from crisis.labels import AUDIENCE_LABELS, VARIABLE_TYPE_LABELS, variant_label
from crisis.services.template_library import TemplateLibrary
from crisis.store.drafts_repository import StoredTemplate
from crisis.store.unit_of_work import UnitOfWork
from crisis.templating.errors import TemplateError, UnknownTemplateError
from crisis.templating.limits import Variant
from crisis.templating.registry import LoadedTemplate, Origin, TemplateRegistry
from crisis.templating.variables import VariableType, coerce_value
from crisis.web.line_diff import Change, line_diff
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, service_of
from crisis.web.template_form import shown_value

router = console_router()

DONE = {"enregistre": "Version {version} enregistrée."}


def library_of(request: Request) -> TemplateLibrary:
    library = service_of(request).bus.templates
    if library is None:
        raise RuntimeError("no template library wired into the bus")
    return library


def loaded(registry: TemplateRegistry, name: str, version: int | None = None) -> LoadedTemplate:
    try:
        return registry.get(name, version=version)
    except UnknownTemplateError as error:
        raise NotFound(error.message) from None


def _saved(uow: UnitOfWork, template: LoadedTemplate) -> StoredTemplate | None:
    """Who saved a custom version and when (None for a bundled one)."""
    if template.origin is Origin.BUNDLED:
        return None
    return uow.templates.get(template.name, template.version)


def _summary(template: LoadedTemplate, saved: StoredTemplate | None) -> dict[str, Any]:
    manifest = template.manifest
    return {
        "name": template.name,
        "title": manifest.title,
        "description": manifest.description,
        "audiences": [AUDIENCE_LABELS[a] for a in manifest.audiences],
        "internal": manifest.internal,
        "variants": [v.value for v in template.variants],
        "version": template.version,
        "saved": saved,
    }


@router.get("/modeles")
def templates(request: Request, session: CurrentUser) -> Response:
    with service_of(request).bus.reading() as uow:
        registry = library_of(request).registry(uow)
        rows = [_summary(t, _saved(uow, t)) for t in registry.templates()]
        bundled = {t.name for t in registry.templates() if t.origin is Origin.BUNDLED}
    return page(
        request,
        "modeles.html.j2",
        {
            "bundled": [r for r in rows if r["name"] in bundled],
            "custom": [r for r in rows if r["name"] not in bundled],
        },
        session=session,
    )


def _example_preview(
    request: Request, registry: TemplateRegistry, template: LoadedTemplate
) -> tuple[list[dict[str, Any]], str]:
    """Each variant rendered with the example values; or why it cannot be."""
    try:
        preview = registry.preview(
            template.name,
            version=template.version,
            variables=template.manifest.examples(),
            marker=service_of(request).settings.exercise_marker,
        )
    except TemplateError as error:
        return [], error.message
    variants: list[dict[str, Any]] = list(preview["variants"])  # type: ignore[call-overload]
    return variants, ""


def _variables(template: LoadedTemplate) -> list[dict[str, Any]]:
    return [
        {
            "name": spec.name,
            "type": VARIABLE_TYPE_LABELS.get(spec.type.value, spec.type.value),
            "description": spec.description,
            "required": spec.required,
            "example": _read_value(spec.type, spec.example),
            "default": _read_value(spec.type, spec.default),
        }
        for spec in template.manifest.variables
    ]


def _read_value(kind: VariableType, value: object) -> str:
    """A manifest value as the table shows it: a date and hour the French way, in Paris
    (the edition form keeps the ISO text the manifest holds)."""
    if value is not None and kind is VariableType.DATETIME:
        instant = coerce_value(kind, value)
        if isinstance(instant, datetime):
            return long_datetime(instant)
    return shown_value(value)


def _version(value: str, name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise InvalidInput(name, "Numéro de version invalide.")
    return int(value)


@router.get("/modeles/{name}")
def template(
    request: Request, name: str, session: CurrentUser, version: str = "", fait: str = ""
) -> Response:
    with service_of(request).bus.reading() as uow:
        registry = library_of(request).registry(uow)
        shown = loaded(registry, name, _version(version, "version"))
        latest = registry.get(name)
        history = [
            {"version": v, "saved": _saved(uow, registry.get(name, version=v))}
            for v in reversed(registry.versions(name))
        ]
    variants, preview_error = _example_preview(request, registry, shown)
    return page(
        request,
        "modele.html.j2",
        {
            "t": _summary(shown, None),
            "bundled": shown.origin is Origin.BUNDLED,
            "latest": latest.version,
            "history": history,
            "variables": _variables(shown),
            "sources": [(v.value, shown.sources[v]) for v in shown.variants],
            "variants": variants,
            "preview_error": preview_error,
            "done": DONE.get(fait, "").format(version=shown.version),
        },
        session=session,
    )


def manifest_text(template: LoadedTemplate) -> str:
    """The manifest one fact a line, in French: what a change of it reads as in a diff."""
    manifest = template.manifest
    lines = [
        f"Titre : {manifest.title}",
        f"Objet : {manifest.description}",
        "Publics : " + (", ".join(AUDIENCE_LABELS[a] for a in manifest.audiences) or "aucun"),
        f"Modèle interne : {'oui' if manifest.internal else 'non'}",
        "Canaux : " + ", ".join(variant_label(v.value) for v in template.variants),
    ]
    for spec in manifest.variables:
        kind = VARIABLE_TYPE_LABELS.get(spec.type.value, spec.type.value)
        line = f"Variable {spec.name} : {kind}, "
        line += "obligatoire" if spec.required else "facultative"
        line += f" — {spec.description} — exemple : {shown_value(spec.example)}"
        if spec.default is not None:
            line += f" — par défaut : {shown_value(spec.default)}"
        lines.append(line)
    return "\n".join(lines)


def _differences(older: LoadedTemplate, newer: LoadedTemplate) -> list[dict[str, Any]]:
    parts = [
        {
            "label": "Manifeste",
            "variant": "",
            "state": "",
            "diff": line_diff(manifest_text(older), manifest_text(newer)),
        }
    ]
    for variant in Variant:
        before, after = older.sources.get(variant), newer.sources.get(variant)
        if before is None and after is None:
            continue
        state = "ajoutée" if before is None else "retirée" if after is None else ""
        parts.append(
            {
                "label": "",
                "variant": variant.value,
                "state": state,
                "diff": line_diff(before or "", after or ""),
            }
        )
    return parts


@router.get("/modeles/{name}/differences")
def differences(
    request: Request, name: str, session: CurrentUser, de: str = "", a: str = ""
) -> Response:
    with service_of(request).bus.reading() as uow:
        registry = library_of(request).registry(uow)
        versions = registry.versions(loaded(registry, name).name)
        newest = _version(a, "a") or versions[-1]
        oldest = _version(de, "de") or (versions[-2] if len(versions) > 1 else versions[-1])
        older, newer = loaded(registry, name, oldest), loaded(registry, name, newest)
    error = "" if oldest != newest else "Choisissez deux versions différentes à comparer."
    return page(
        request,
        "modele_differences.html.j2",
        {
            "t": _summary(newer, None),
            "versions": [(str(v), f"version {v}") for v in reversed(versions)],
            "older": oldest,
            "newer": newest,
            "parts": _differences(older, newer) if not error else [],
            "error": error,
            "Change": Change,
        },
        session=session,
        status_code=422 if error else 200,
    )
