"""The templates shipped with the service, read and checked once per process.

They are package data: the same bytes for every registry of the process (the real service, a
drill's, a test's). Reading, checking and compiling them cost a quarter of a second of
processor, paid by every service that opened; they are now paid once. What is kept is
immutable (frozen manifests, source strings, Python code objects): each registry binds the code
to its own sandbox, so no registry sees another's environment or state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import CodeType, MappingProxyType
from typing import Final

from crisis.templating.errors import ManifestError, TemplateValidationError
from crisis.templating.limits import Variant
from crisis.templating.manifest import TemplateManifest, load_manifest
from crisis.templating.sandbox import GuardedSandbox, make_environment
from crisis.templating.source_checks import source_problems

BUNDLED_PACKAGE: Final = "templates"
MANIFEST_FILE: Final = "template.yaml"


@dataclass(frozen=True, slots=True)
class BundledTemplate:
    manifest: TemplateManifest
    sources: Mapping[Variant, str]
    code: Mapping[Variant, CodeType]


@cache
def bundled_templates() -> tuple[BundledTemplate, ...]:
    """Every template folder of the ``templates`` package (works from a wheel), checked and
    compiled, in the folders' order."""
    environments = {html: make_environment(html=html) for html in (False, True)}

    def environment(variant: Variant) -> GuardedSandbox:
        return environments[variant.is_html]

    root = resources.files(BUNDLED_PACKAGE)
    folders = sorted((entry for entry in root.iterdir() if entry.is_dir()), key=_name)
    found: list[BundledTemplate] = []
    for folder in folders:
        manifest_file = folder / MANIFEST_FILE
        if not manifest_file.is_file():
            continue
        manifest, sources = _read_folder(folder, manifest_file)
        problems = source_problems(manifest, sources, environment)
        if problems:
            raise TemplateValidationError(template=manifest.name, problems=problems)
        code = {v: environment(v).compile(source) for v, source in sources.items()}
        found.append(
            BundledTemplate(
                manifest=manifest,
                sources=MappingProxyType(dict(sources)),
                code=MappingProxyType(code),
            )
        )
    return tuple(found)


def _read_folder(
    folder: Traversable, manifest_file: Traversable
) -> tuple[TemplateManifest, dict[Variant, str]]:
    source = f"{BUNDLED_PACKAGE}/{folder.name}/{MANIFEST_FILE}"
    manifest = load_manifest(manifest_file.read_text(encoding="utf-8"), source=source)
    if manifest.name != folder.name:
        raise ManifestError(
            source=source,
            problems=[("name", f"« {manifest.name} » ne correspond pas au dossier")],
        )
    sources: dict[Variant, str] = {}
    for variant in manifest.variants:
        file = folder / variant.filename
        if not file.is_file():
            raise ManifestError(
                source=source, problems=[("variants", f"fichier {variant.filename} absent")]
            )
        sources[variant] = file.read_text(encoding="utf-8")
    return manifest, sources


def _name(entry: Traversable) -> str:
    return entry.name
