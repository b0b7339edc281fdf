"""The ``template.yaml`` manifest: what a template is for and which variables it takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crisis.domain.vocabulary import Audience
from crisis.templating.errors import ManifestError
from crisis.templating.limits import Variant
from crisis.templating.variables import VariableType, coerce_value
from crisis.validation import field_path, french_reason

# One vocabulary with the domain: a template is written for the élus, the public or the media
# (the audiences whose clocks commitment 48 sets). A template meant for the service's own
# people (the on-call cell, paged by the service) declares `internal: true` and no audience.

__all__ = ["Audience", "TemplateManifest", "VariableSpec", "load_manifest", "parse_manifest"]

NAME_PATTERN: Final = r"^[a-z][a-z0-9_]{0,62}$"


class VariableSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    type: VariableType
    description: Annotated[str, Field(min_length=1)]
    required: bool = True
    default: Any = None
    example: Any

    @model_validator(mode="after")
    def _check_values(self) -> VariableSpec:
        if self.required and self.default is not None:
            raise ValueError("une variable obligatoire n'a pas de valeur par défaut")
        try:
            coerce_value(self.type, self.example)
        except ValueError as error:
            raise ValueError(f"exemple incorrect pour « {self.name} » : {error}") from error
        if self.default is not None:
            try:
                coerce_value(self.type, self.default)
            except ValueError as error:
                raise ValueError(
                    f"valeur par défaut incorrecte pour « {self.name} » : {error}"
                ) from error
        return self

    @property
    def typed_example(self) -> object:
        return coerce_value(self.type, self.example)

    @property
    def typed_default(self) -> object:
        return None if self.default is None else coerce_value(self.type, self.default)


class TemplateManifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    version: Annotated[int, Field(ge=1, strict=True)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(min_length=1)]
    audiences: tuple[Audience, ...] = ()
    internal: bool = False
    variants: Annotated[tuple[Variant, ...], Field(min_length=1)]
    variables: tuple[VariableSpec, ...] = ()

    @model_validator(mode="after")
    def _check_unique(self) -> TemplateManifest:
        if self.internal and self.audiences:
            raise ValueError("un modèle interne ne s'adresse à aucun public (audiences vide)")
        if not self.internal and not self.audiences:
            raise ValueError(
                "audiences : au moins un public attendu (elus, public, media), "
                "ou internal: true pour un modèle réservé aux appels internes"
            )
        if len(set(self.audiences)) != len(self.audiences):
            raise ValueError("un public est déclaré deux fois")
        if len(set(self.variants)) != len(self.variants):
            raise ValueError("une variante est déclarée deux fois")
        names = [variable.name for variable in self.variables]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError("variable déclarée deux fois : " + ", ".join(twice))
        return self

    def examples(self) -> dict[str, object]:
        """The example values of every variable, as a caller would pass them."""
        return {variable.name: variable.example for variable in self.variables}


def parse_manifest(data: object, *, source: str) -> TemplateManifest:
    """Validate an already parsed manifest; ``source`` names it in error messages."""
    if not isinstance(data, Mapping):
        problem = ("", "le manifeste doit être un dictionnaire")
        raise ManifestError(source=source, problems=[problem])
    try:
        return TemplateManifest.model_validate(dict(data))
    except ValidationError as error:
        raise ManifestError(
            source=source,
            problems=[(field_path(item["loc"]), french_reason(item)) for item in error.errors()],
        ) from error


def load_manifest(text: str, *, source: str) -> TemplateManifest:
    """Parse and validate the YAML text of a ``template.yaml``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ManifestError(source=source, problems=[("", f"YAML illisible : {error}")]) from error
    return parse_manifest(data, source=source)
