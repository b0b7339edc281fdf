"""Typed errors of the templating package; every message is a French sentence for users."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class TemplateError(Exception):
    """Base class: ``str(error)`` is a French message fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ManifestError(TemplateError):
    """A ``template.yaml`` manifest that cannot be read or does not validate."""

    def __init__(self, *, source: str, problems: Iterable[tuple[str, str]]) -> None:
        self.source = source
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        details = " ; ".join(
            f"champ « {field} » : {reason}" if field else reason for field, reason in self.problems
        )
        super().__init__(f"Manifeste de modèle invalide ({source}) : {details}")


class UnknownTemplateError(TemplateError):
    def __init__(self, name: str, version: int | None = None) -> None:
        self.name = name
        self.version = version
        which = f"« {name} »" if version is None else f"« {name} » en version {version}"
        super().__init__(f"Modèle de message inconnu : {which}.")


class VariableError(TemplateError):
    """Variables that do not match the manifest: missing, unknown or of the wrong type."""

    def __init__(
        self,
        *,
        template: str,
        missing: Iterable[str] = (),
        unknown: Iterable[str] = (),
        invalid: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.template = template
        self.missing: tuple[str, ...] = tuple(missing)
        self.unknown: tuple[str, ...] = tuple(unknown)
        self.invalid: tuple[tuple[str, str], ...] = tuple(invalid)
        parts: list[str] = []
        if self.missing:
            parts.append("variable(s) manquante(s) : " + ", ".join(self.missing))
        if self.unknown:
            parts.append("variable(s) inconnue(s) : " + ", ".join(self.unknown))
        parts.extend(f"variable « {name} » : {reason}" for name, reason in self.invalid)
        intro = f"Variables incorrectes pour le modèle « {template} » : "
        super().__init__(intro + " ; ".join(parts))


class RenderError(TemplateError):
    """A variant could not be rendered (undefined name, refused operation, filter error)."""

    def __init__(self, *, template: str, variant: str, reason: str) -> None:
        self.template = template
        self.variant = variant
        self.reason = reason
        super().__init__(
            f"Impossible de produire la variante {variant} du modèle « {template} » : {reason}"
        )


class LimitExceededError(TemplateError):
    """One or more rendered variants do not fit their channel."""

    def __init__(self, *, template: str, overruns: Iterable[str]) -> None:
        self.template = template
        self.overruns: tuple[str, ...] = tuple(overruns)
        super().__init__(" ; ".join(self.overruns))


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One problem of a template and what it concerns: a variant (``sms``), a field of the
    manifest as the input names it (``title``, ``variables[0].example``), or neither.

    ``text`` names the place itself (« variante sms : … »); ``reason``, when given, is the
    same problem said beside the field or variant it concerns.
    """

    text: str
    variant: str | None = None
    field: str | None = None
    reason: str | None = None

    def __str__(self) -> str:
        return self.text

    @property
    def detail(self) -> str:
        return self.reason or self.text


class TemplateValidationError(TemplateError):
    """A custom template refused at registration, with every problem found."""

    def __init__(self, *, template: str, problems: Iterable[str | TemplateProblem]) -> None:
        self.template = template
        self.details: tuple[TemplateProblem, ...] = tuple(
            p if isinstance(p, TemplateProblem) else TemplateProblem(p) for p in problems
        )
        self.problems: tuple[str, ...] = tuple(p.text for p in self.details)
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"Le modèle « {template} » est refusé :\n{listed}")
