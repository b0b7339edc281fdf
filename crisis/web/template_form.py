"""The form of a template version: the manifest's fields and one text per variant.

Read into what the SaveTemplate command takes (nothing is checked here: the command and its
sandbox do that), prefilled from a stored version, and the refusals put beside the field or
variant they concern. Field names follow the manifest (`title`, `variables[0].example`,
`sources.sms`), the way the sandbox's problems name them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from crisis.domain.errors import Conflict, InvalidInput
from crisis.labels import VARIANT_LABELS
from crisis.services.template_library import InvalidTemplate
from crisis.templating.limits import Variant
from crisis.templating.registry import LoadedTemplate
from crisis.web import forms

MAX_VARIABLES = 50
SOURCE_LIMIT = 100_000  # the sandbox refuses far less, and says so beside the variant
VARIABLE_FIELDS = ("name", "type", "description", "example", "default")
GENERAL = "general"

# The places a problem may concern, as the summary at the top of the form names them.
PLACES = {
    "name": "Nom du modèle",
    "title": "Titre",
    "description": "Description",
    "audiences": "Publics",
    "internal": "Modèle interne",
    "variants": "Variantes",
    "variables": "Variables",
}
VARIABLE_PLACES = {
    "name": "nom",
    "type": "type",
    "description": "description",
    "required": "obligatoire",
    "example": "exemple",
    "default": "valeur par défaut",
}
_VARIABLE_PATH = re.compile(r"^variables\[(\d+)\](?:\.(\w+))?")


@dataclass
class VersionForm:
    """What the form shows (`values`) and what the command receives (manifest, sources)."""

    name: str
    values: dict[str, Any]
    manifest: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Identifies the content checked and previewed: saving anything else checks again."""
        content = json.dumps([self.name, self.manifest, self.sources], sort_keys=True)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()


def shown_value(value: object) -> str:
    """A manifest value in a text field or a table cell (communes joined by commas)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def prefilled(template: LoadedTemplate | None) -> dict[str, Any]:
    """The form's values from a stored version (None: an empty template)."""
    if template is None:
        return {
            "title": "",
            "description": "",
            "audiences": [],
            "internal": False,
            "variables": [],
            "sources": {v.value: "" for v in Variant},
        }
    manifest = template.manifest
    return {
        "title": manifest.title,
        "description": manifest.description,
        "audiences": [a.value for a in manifest.audiences],
        "internal": manifest.internal,
        "variables": [
            {
                "name": spec.name,
                "type": spec.type.value,
                "description": spec.description,
                "required": spec.required,
                "example": shown_value(spec.example),
                "default": shown_value(spec.default),
            }
            for spec in manifest.variables
        ],
        "sources": {v.value: template.sources.get(v, "") for v in Variant},
    }


def _typed(kind: str, raw: str) -> object:
    """A value typed in a text field, as a manifest written by hand would hold it."""
    if kind == "communes":
        return [name.strip() for name in raw.replace("\n", ",").split(",") if name.strip()]
    if kind == "int" and raw.lstrip("-").isdigit():
        return int(raw)
    return raw


def _source(form: FormData, variant: Variant) -> str:
    raw = forms.text(form, f"sources.{variant.value}", limit=SOURCE_LIMIT)
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def read(form: FormData, name: str) -> VersionForm:
    """The posted form: a variable without a name is left out, a variant is declared when
    its text is filled in."""
    try:
        count = min(int(forms.text(form, "variable_count", limit=4) or 0), MAX_VARIABLES)
    except ValueError:
        count = 0
    rows: list[dict[str, Any]] = []
    for index in range(count):
        row: dict[str, Any] = {
            key: forms.text(form, f"variables[{index}].{key}", limit=SOURCE_LIMIT)
            for key in VARIABLE_FIELDS
        }
        row["required"] = form.get(f"variables[{index}].required") == "oui"
        if row["name"]:
            rows.append(row)
    sources = {v.value: _source(form, v) for v in Variant}
    values: dict[str, Any] = {
        "title": forms.text(form, "title", limit=SOURCE_LIMIT),
        "description": forms.text(form, "description", limit=SOURCE_LIMIT),
        "audiences": forms.choices(form, "audiences"),
        "internal": form.get("internal") == "oui",
        "variables": rows,
        "sources": sources,
    }
    variables: list[dict[str, Any]] = []
    for row in rows:
        spec: dict[str, Any] = {
            "name": row["name"],
            "type": row["type"],
            "description": row["description"],
            "required": row["required"],
            "example": _typed(row["type"], row["example"]),
        }
        if row["default"]:
            spec["default"] = _typed(row["type"], row["default"])
        variables.append(spec)
    manifest = {
        "title": values["title"],
        "description": values["description"],
        "audiences": values["audiences"],
        "internal": values["internal"],
        "variants": [v.value for v in Variant if sources[v.value]],
        "variables": variables,
    }
    declared = {k: text for k, text in sources.items() if text}
    return VersionForm(name=name, values=values, manifest=manifest, sources=declared)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A problem where the form shows it: the field's key, its anchor, the summary's words."""

    key: str
    anchor: str
    place: str
    detail: str


def _place(key: str, values: dict[str, Any]) -> tuple[str, str]:
    """(anchor, French name) of a field key."""
    if key.startswith("sources."):
        variant = key.removeprefix("sources.")
        return f"champ-{key}", f"Variante « {VARIANT_LABELS.get(variant, variant)} »"
    found = _VARIABLE_PATH.match(key)
    if found:
        index, attr = int(found.group(1)), found.group(2)
        rows = values.get("variables", [])
        named = f" « {rows[index]['name']} »" if index < len(rows) else ""
        place = f"Variable n° {index + 1}{named}"
        if attr in VARIABLE_PLACES:
            return f"champ-{key}", f"{place}, {VARIABLE_PLACES[attr]}"
        return f"variable-{index}", place
    root = key.split("[", 1)[0].split(".", 1)[0]
    if root in ("audiences", "variants", "variables"):
        return f"groupe-{root}", PLACES[root]
    if root in PLACES:
        return f"champ-{root}", PLACES[root]
    return "", ""


def _key(problem_field: str) -> str:
    found = _VARIABLE_PATH.match(problem_field)
    if found:
        return found.group(0)
    root = problem_field.split("[", 1)[0].split(".", 1)[0]
    return root if root in PLACES else GENERAL


def refusals(
    error: InvalidInput | Conflict, values: dict[str, Any], *, conflict: str = GENERAL
) -> list[Refusal]:
    """Every problem of a refused version, with the place it concerns (a conflict: `conflict`,
    the name field of a new template given to a bundled one)."""
    found: list[tuple[str, str]] = []
    if isinstance(error, InvalidTemplate):
        for problem in error.problems:
            if problem.variant is not None:
                found.append((f"sources.{problem.variant}", problem.detail))
            elif problem.field:
                found.append((_key(problem.field), problem.detail))
            else:
                found.append((GENERAL, problem.detail))
    elif isinstance(error, InvalidInput):
        key = _key(error.field) if not error.field.startswith("sources.") else error.field
        found.append((key, error.message))
    else:
        found.append((conflict, error.message))
    result: list[Refusal] = []
    for key, detail in found:
        anchor, place = _place(key, values)
        result.append(Refusal(key, anchor, place, detail))
    return result


def rows_refused(refused: list[Refusal]) -> set[int]:
    """The variables (by row) that some problem concerns: their rows are shown open."""
    rows = (_VARIABLE_PATH.match(refusal.key) for refusal in refused)
    return {int(found.group(1)) for found in rows if found}


def by_field(refused: list[Refusal]) -> dict[str, str]:
    """The macros' errors: one text per field, several problems joined."""
    grouped: dict[str, list[str]] = {}
    for refusal in refused:
        grouped.setdefault(refusal.key, []).append(refusal.detail)
    return {key: " ; ".join(details) for key, details in grouped.items()}
