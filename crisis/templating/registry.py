"""The registry of message templates: bundled ones and custom ones, rendered in a sandbox."""

from __future__ import annotations

from collections.abc import Collection, Generator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import CodeType, MappingProxyType
from typing import Any, Final

from jinja2 import Template

from channels.contract import ChannelLimits
from channels.measure import measure
from crisis.defaults import EXERCISE_MARKER
from crisis.templating.bounds import (
    RenderBudget,
    RenderLimitError,
    RenderLimits,
    TimeAllowance,
    rendering_with,
    too_long,
)
from crisis.templating.bundled import bundled_templates
from crisis.templating.errors import (
    LimitExceededError,
    ManifestError,
    RenderError,
    TemplateError,
    TemplateProblem,
    TemplateValidationError,
    UnknownTemplateError,
    VariableError,
)
from crisis.templating.limits import Variant, default_variant_limits
from crisis.templating.manifest import TemplateManifest, parse_manifest
from crisis.templating.rendered import RenderedMessage, RenderedVariant
from crisis.templating.sandbox import GuardedSandbox, make_environment
from crisis.templating.source_checks import source_problems
from crisis.templating.variables import validate_variables
from crisis.templating.variant_text import RENDER_FAILURES, failure_reason, mark, tidy

DEFAULT_MARKER: Final = EXERCISE_MARKER
MAX_MARKER_LENGTH: Final = 60


class Origin(StrEnum):
    BUNDLED = "bundled"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class TemplateDefinition:
    """A custom template given in memory: its manifest as a dict and one source per variant
    (keys are variant names, with or without the ``.j2`` suffix)."""

    name: str
    version: int
    manifest: Mapping[str, Any]
    sources: Mapping[str, str]


@dataclass(frozen=True, slots=True, eq=False)
class LoadedTemplate:
    manifest: TemplateManifest
    origin: Origin
    sources: Mapping[Variant, str]
    compiled: Mapping[Variant, Template]

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> int:
        return self.manifest.version

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Declared variants, in the canonical order of ``Variant``."""
        return tuple(variant for variant in Variant if variant in self.manifest.variants)


def _check_marker(marker: str) -> None:
    if not marker.strip() or "\n" in marker or len(marker) > MAX_MARKER_LENGTH:
        raise TemplateError(
            f"Mention d'exercice incorrecte : une seule ligne non vide de "
            f"{MAX_MARKER_LENGTH} caractères au plus est attendue."
        )


def _select(template: LoadedTemplate, variants: Collection[str] | None) -> tuple[Variant, ...]:
    """Variants to render; a channel kind (``email``) selects all of its variants."""
    if variants is None:
        return template.variants
    wanted: set[Variant] = set()
    for name in variants:
        matching = [v for v in template.variants if name in (v.value, v.channel.value)]
        if not matching:
            known = ", ".join(v.value for v in template.variants)
            raise TemplateError(
                f"Le modèle « {template.name} » n'a pas de variante « {name} » "
                f"(variantes disponibles : {known})."
            )
        wanted.update(matching)
    return tuple(v for v in template.variants if v in wanted)


class TemplateRegistry:
    """Holds templates by name and version and renders them.

    ``limits`` gives the limits each variant must fit (default: ``default_variant_limits()``).
    Nothing is read from disk until ``load_bundled`` is called.
    """

    def __init__(
        self,
        *,
        limits: Mapping[Variant, ChannelLimits] | None = None,
        render_limits: RenderLimits | None = None,
    ) -> None:
        self._limits: Mapping[Variant, ChannelLimits] = MappingProxyType(
            dict(limits) if limits is not None else default_variant_limits()
        )
        self._render_limits = render_limits or RenderLimits()
        self._text_env: GuardedSandbox = make_environment(html=False)
        self._html_env: GuardedSandbox = make_environment(html=True)
        self._templates: dict[str, dict[int, LoadedTemplate]] = {}

    @classmethod
    def with_bundled(
        cls, *, limits: Mapping[Variant, ChannelLimits] | None = None
    ) -> TemplateRegistry:
        registry = cls(limits=limits)
        registry.load_bundled()
        return registry

    @property
    def limits(self) -> Mapping[Variant, ChannelLimits]:
        return self._limits

    # ------------------------------------------------------------------ loading

    def load_bundled(self) -> None:
        """Load the templates shipped with the service (read and checked once per process)."""
        for bundled in bundled_templates():
            compiled = {
                variant: self._bind(variant, code) for variant, code in bundled.code.items()
            }
            self._add(
                LoadedTemplate(
                    manifest=bundled.manifest,
                    origin=Origin.BUNDLED,
                    sources=bundled.sources,
                    compiled=MappingProxyType(compiled),
                )
            )

    def _bind(self, variant: Variant, code: CodeType) -> Template:
        """A compiled template's code bound to this registry's own sandbox."""
        env = self._env(variant)
        return env.template_class.from_code(env, code, env.make_globals(None), None)

    def _env(self, variant: Variant) -> GuardedSandbox:
        return self._html_env if variant.is_html else self._text_env

    def _compile(
        self, manifest: TemplateManifest, sources: Mapping[Variant, str], origin: Origin
    ) -> tuple[LoadedTemplate | None, list[TemplateProblem]]:
        problems = source_problems(manifest, sources, self._env)
        if problems:
            return None, problems
        compiled = {v: self._env(v).from_string(source) for v, source in sources.items()}
        loaded = LoadedTemplate(
            manifest=manifest,
            origin=origin,
            sources=MappingProxyType(dict(sources)),
            compiled=MappingProxyType(compiled),
        )
        return loaded, []

    def _add(self, template: LoadedTemplate) -> None:
        self._templates.setdefault(template.name, {})[template.version] = template

    def register_custom(
        self, definition: TemplateDefinition, *, render_examples: bool = True
    ) -> TemplateManifest:
        """Validate and add a custom template.

        It must declare a valid manifest, compile in the sandbox without touching internal
        attributes, render with its example values (with and without the exercise marker,
        and with optional variables left out) and fit every channel. Otherwise raise
        TemplateValidationError listing every problem found. ``render_examples=False``
        skips the renderings, for a version that passed them when it was stored.
        """
        name = definition.name
        label = f"modèle personnalisé « {name} » version {definition.version}"
        try:
            manifest = parse_manifest(definition.manifest, source=label)
        except ManifestError as error:
            raise TemplateValidationError(
                template=name,
                problems=[
                    TemplateProblem(
                        f"manifeste, champ « {field} » : {reason}", field=field, reason=reason
                    )
                    if field
                    else TemplateProblem(f"manifeste : {reason}")
                    for field, reason in error.problems
                ],
            ) from error
        problems: list[TemplateProblem] = []
        if manifest.name != name or manifest.version != definition.version:
            problems.append(
                TemplateProblem(
                    f"le manifeste annonce « {manifest.name} » version {manifest.version}, "
                    f"la définition « {name} » version {definition.version}",
                    field="name",
                )
            )
        if definition.version in self._templates.get(manifest.name, {}):
            problems.append(
                TemplateProblem(
                    f"la version {definition.version} de « {manifest.name} » existe déjà",
                    field="version",
                )
            )
        sources: dict[Variant, str] = {}
        for key, source in definition.sources.items():
            try:
                variant = Variant(key.removesuffix(".j2"))
            except ValueError:
                problems.append(TemplateProblem(f"variante inconnue « {key} »", variant=key))
                continue
            if variant not in manifest.variants:
                reason = "fournie mais non déclarée"
                text = f"variante {variant.value} {reason}"
            elif not isinstance(source, str):
                reason = "le source doit être du texte"
                text = f"variante {variant.value} : {reason}"
            else:
                sources[variant] = source
                continue
            problems.append(TemplateProblem(text, variant=variant.value, reason=reason))
        problems.extend(
            TemplateProblem(
                f"variante {variant.value} déclarée mais sans source",
                variant=variant.value,
                reason="déclarée mais sans source",
            )
            for variant in manifest.variants
            if variant not in sources
        )
        if problems:
            raise TemplateValidationError(template=name, problems=problems)
        template, problems = self._compile(manifest, sources, Origin.CUSTOM)
        if template is None:
            raise TemplateValidationError(template=name, problems=problems)
        problems = self._example_problems(template) if render_examples else []
        if problems:
            raise TemplateValidationError(template=name, problems=problems)
        self._add(template)
        return manifest

    # ------------------------------------------------------------------ queries

    def get(self, name: str, *, version: int | None = None) -> LoadedTemplate:
        versions = self._templates.get(name)
        if not versions:
            raise UnknownTemplateError(name)
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise UnknownTemplateError(name, version)
        return versions[version]

    def versions(self, name: str) -> list[int]:
        """Every version held of a template, oldest first (raise if there is none)."""
        if not self._templates.get(name):
            raise UnknownTemplateError(name)
        return sorted(self._templates[name])

    def templates(self) -> list[LoadedTemplate]:
        """The latest version of every template, by name."""
        return [self.get(name) for name in sorted(self._templates)]

    def check(self, name: str, *, version: int | None = None) -> list[str]:
        """Problems met when rendering the template with its examples (empty when sound)."""
        return [p.text for p in self._example_problems(self.get(name, version=version))]

    def _example_problems(self, template: LoadedTemplate) -> list[TemplateProblem]:
        manifest = template.manifest
        required_only = {v.name: v.example for v in manifest.variables if v.required}
        runs = (
            (manifest.examples(), False, ""),
            (manifest.examples(), True, " (avec la mention d'exercice)"),
            (required_only, False, " (variables facultatives omises)"),
        )
        problems: list[TemplateProblem] = []
        allowance = TimeAllowance(self._render_limits.seconds)  # the three runs together
        for values, exercise, suffix in runs:
            try:
                rendered = self._render(
                    template, values, exercise, DEFAULT_MARKER, None, allowance=allowance
                )
            except RenderError as error:
                text = f"exemples{suffix} : {error}"
                reason = f"avec les valeurs d'exemple{suffix} : {error.reason}"
                problems.append(TemplateProblem(text, variant=error.variant, reason=reason))
                if isinstance(error.__cause__, RenderLimitError):
                    break  # the next runs would go past the same limit
                continue
            except TemplateError as error:
                field = "variables" if isinstance(error, VariableError) else None
                problems.append(TemplateProblem(f"exemples{suffix} : {error}", field=field))
                continue
            problems.extend(
                TemplateProblem(f"{r.overrun}{suffix}", variant=r.variant.value)
                for r in rendered.variants
                if r.overrun is not None
            )
        return list(dict.fromkeys(problems))

    # ------------------------------------------------------------------ rendering

    def _produce(
        self, compiled: Template, values: Mapping[str, object], allowance: TimeAllowance
    ) -> str:
        """The variant's text, produced piece by piece within the rendering's budget: the
        text is cut as soon as it goes past the limit, the rendering stopped once its time
        is spent."""
        budget = RenderBudget(self._render_limits, allowance=allowance)
        limit = budget.limits.output
        pieces: list[str] = []
        length = 0
        with rendering_with(budget):
            stream = compiled.generate(values)
            assert isinstance(stream, Generator)
            try:
                for piece in stream:
                    length += len(piece)
                    if length > limit:
                        raise too_long(limit)
                    pieces.append(piece)
            finally:
                stream.close()
        return "".join(pieces)

    def _render_variant(
        self,
        template: LoadedTemplate,
        variant: Variant,
        values: Mapping[str, object],
        exercise: bool,
        marker: str,
        allowance: TimeAllowance,
    ) -> RenderedVariant:
        try:
            raw = self._produce(template.compiled[variant], values, allowance)
        except RENDER_FAILURES as error:
            raise RenderError(
                template=template.name, variant=variant.value, reason=failure_reason(error)
            ) from error
        text = tidy(variant, raw)
        if exercise:
            text = mark(variant, text, marker)
        return RenderedVariant(
            variant=variant, text=text, measure=measure(text, self._limits[variant])
        )

    def _render(
        self,
        template: LoadedTemplate,
        variables: Mapping[str, object],
        exercise: bool,
        marker: str,
        variants: Collection[str] | None,
        *,
        allowance: TimeAllowance | None = None,
    ) -> RenderedMessage:
        """Every selected variant, all of them within one time allowance."""
        _check_marker(marker)
        if allowance is None:
            allowance = TimeAllowance(self._render_limits.seconds)
        selected = _select(template, variants)
        values = validate_variables(
            template=template.name, specs=template.manifest.variables, values=variables
        )
        return RenderedMessage(
            template=template.name,
            version=template.version,
            exercise=exercise,
            variants=tuple(
                self._render_variant(template, variant, values, exercise, marker, allowance)
                for variant in selected
            ),
        )

    def render(
        self,
        name: str,
        *,
        variables: Mapping[str, object],
        exercise: bool,
        marker: str = DEFAULT_MARKER,
        version: int | None = None,
        variants: Collection[str] | None = None,
    ) -> RenderedMessage:
        """Render every variant (or those named in ``variants``: variant or channel names).

        Raise VariableError, RenderError, or LimitExceededError when a variant does not fit.
        """
        template = self.get(name, version=version)
        rendered = self._render(template, variables, exercise, marker, variants)
        if rendered.overruns:
            raise LimitExceededError(template=template.name, overruns=rendered.overruns)
        return rendered

    def render_unchecked(
        self,
        name: str,
        *,
        variables: Mapping[str, object],
        exercise: bool,
        marker: str = DEFAULT_MARKER,
        version: int | None = None,
        variants: Collection[str] | None = None,
    ) -> RenderedMessage:
        """Like ``render`` but a variant that does not fit is reported, not raised."""
        template = self.get(name, version=version)
        return self._render(template, variables, exercise, marker, variants)

    def preview(
        self,
        name: str,
        *,
        variables: Mapping[str, object],
        exercise: bool = False,
        marker: str = DEFAULT_MARKER,
        version: int | None = None,
        variants: Collection[str] | None = None,
    ) -> dict[str, object]:
        """JSON-ready ``{"template", "version", "variants": [{"channel", "text", "length",
        "limit", "fits", ...}]}``; limits are reported, never raised (bad variables still
        raise, since nothing can be rendered)."""
        return self.render_unchecked(
            name,
            variables=variables,
            exercise=exercise,
            marker=marker,
            version=version,
            variants=variants,
        ).as_dict()
