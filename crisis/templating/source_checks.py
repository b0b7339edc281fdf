"""A template's sources checked without running them, variant by variant."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from crisis.templating.errors import TemplateProblem
from crisis.templating.limits import Variant
from crisis.templating.manifest import TemplateManifest
from crisis.templating.sandbox import GuardedSandbox, static_problems


def source_problems(
    manifest: TemplateManifest,
    sources: Mapping[Variant, str],
    environment: Callable[[Variant], GuardedSandbox],
) -> list[TemplateProblem]:
    """Every problem of every variant (French sentences); empty when all are sound."""
    declared = {variable.name for variable in manifest.variables}
    problems: list[TemplateProblem] = []
    for variant, source in sources.items():
        label = f"variante {variant.value}"
        problems += [
            TemplateProblem(text, variant=variant.value, reason=text.removeprefix(label + " : "))
            for text in static_problems(
                environment(variant), source, declared=declared, label=label
            )
        ]
    return problems
