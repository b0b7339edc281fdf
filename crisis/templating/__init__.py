"""Message templates: manifests, sandboxed rendering in French, per-channel length checks."""

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
from crisis.templating.limits import (
    DEFAULT_SMS_MAX_SEGMENTS,
    ChannelKind,
    Variant,
    default_channel_limits,
    default_variant_limits,
)
from crisis.templating.manifest import Audience, TemplateManifest, VariableSpec
from crisis.templating.registry import (
    DEFAULT_MARKER,
    LoadedTemplate,
    Origin,
    TemplateDefinition,
    TemplateRegistry,
)
from crisis.templating.rendered import RenderedMessage, RenderedVariant
from crisis.templating.variables import VariableType

__all__ = [
    "DEFAULT_MARKER",
    "DEFAULT_SMS_MAX_SEGMENTS",
    "Audience",
    "ChannelKind",
    "LimitExceededError",
    "LoadedTemplate",
    "ManifestError",
    "Origin",
    "RenderError",
    "RenderedMessage",
    "RenderedVariant",
    "TemplateDefinition",
    "TemplateError",
    "TemplateManifest",
    "TemplateProblem",
    "TemplateRegistry",
    "TemplateValidationError",
    "UnknownTemplateError",
    "VariableError",
    "VariableSpec",
    "VariableType",
    "Variant",
    "default_channel_limits",
    "default_variant_limits",
]
