"""The templates a handler may render: the bundled ones and every stored custom version.

Custom versions live in the database (table ``message_templates``); each process loads the
versions it has not seen yet before rendering. Versions are immutable once stored, so the
in-memory registry never goes stale, only incomplete until the next look.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from channels.contract import ChannelLimits
from crisis.domain.errors import InvalidInput
from crisis.store.unit_of_work import UnitOfWork
from crisis.templating.errors import TemplateError, TemplateProblem, TemplateValidationError
from crisis.templating.limits import Variant
from crisis.templating.manifest import TemplateManifest
from crisis.templating.registry import Origin, TemplateDefinition, TemplateRegistry

log = logging.getLogger(__name__)


class InvalidTemplate(InvalidInput):
    """A template refused by the sandbox checks: answered with 422 like any bad input, with
    every problem and the variant or manifest field it concerns (the console's form)."""

    def __init__(self, error: TemplateValidationError) -> None:
        super().__init__("template", error.message)
        self.problems: tuple[TemplateProblem, ...] = error.details


class TemplateLibrary:
    def __init__(self, *, limits: Mapping[Variant, ChannelLimits] | None = None) -> None:
        self._limits = limits
        self._lock = threading.Lock()
        self._registry: TemplateRegistry | None = None  # read from disk on first use
        self._custom_seen: set[tuple[str, int]] = set()

    def _bundled(self) -> TemplateRegistry:
        if self._registry is None:
            self._registry = TemplateRegistry.with_bundled(limits=self._limits)
        return self._registry

    @property
    def bundled_names(self) -> frozenset[str]:
        with self._lock:
            registry = self._bundled()
            return frozenset(t.name for t in registry.templates() if t.origin is Origin.BUNDLED)

    def registry(self, uow: UnitOfWork) -> TemplateRegistry:
        """The registry with every custom version stored so far."""
        with self._lock:
            registry = self._bundled()
            for name, version in sorted(uow.templates.keys() - self._custom_seen):
                self._custom_seen.add((name, version))
                stored = uow.templates.get(name, version)
                if stored is None:
                    continue
                definition = TemplateDefinition(
                    name=name, version=version, manifest=stored.manifest, sources=stored.sources
                )
                try:
                    # Its examples were rendered when it was stored: nothing is rendered
                    # here, inside the caller's transaction.
                    registry.register_custom(definition, render_examples=False)
                except TemplateError:
                    log.warning("custom template %s v%s no longer validates", name, version)
            return registry

    def validate(self, definition: TemplateDefinition) -> TemplateManifest:
        """Compile, render with the examples and measure, in a scratch registry; raise
        TemplateValidationError listing every problem."""
        return self.trial(definition).get(definition.name).manifest

    def trial(self, definition: TemplateDefinition) -> TemplateRegistry:
        """A scratch registry holding only ``definition`` once it validates: a version
        previewed before it is stored (raise TemplateValidationError otherwise)."""
        registry = TemplateRegistry(limits=self._limits)
        registry.register_custom(definition)
        return registry
