"""Pydantic's validation errors in French: one translation for every input the service reads.

API bodies, settings, channel files, drill scenarios and template manifests all go through
`french_reason`, which reads pydantic's stable error `type` and its context (`ctx`), never its
English `msg`. Accepted values are listed the French way: « 'attentat' ou 'autre' ».
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from crisis.french import decimal

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")

# Every error type pydantic-core can raise (pydantic_core.core_schema.ErrorType), in French.
# `{name}` is read from the error's context; a test checks that no type is missing.
REASONS: dict[str, str] = {
    "no_such_attribute": "attribut inconnu",
    "json_invalid": "JSON invalide",
    "json_type": "texte JSON attendu",
    "needs_python_object": "objet attendu",
    "recursion_loop": "structure récursive refusée",
    "recursion_depth_exceeded": "structure trop profonde",
    "missing": "champ obligatoire",
    "frozen_field": "champ non modifiable",
    "frozen_instance": "objet non modifiable",
    "extra_forbidden": "champ inconnu",
    "invalid_key": "clé invalide : du texte est attendu",
    "get_attribute_error": "valeur illisible",
    "model_type": "objet attendu (dictionnaire)",
    "model_attributes_type": "objet attendu (dictionnaire)",
    "dataclass_type": "objet attendu (dictionnaire)",
    "dataclass_exact_type": "objet attendu (dictionnaire)",
    "named_tuple_type": "liste ou objet attendu",
    "default_factory_not_called": "valeur par défaut indisponible",
    "none_required": "aucune valeur attendue (null)",
    "greater_than": "doit être supérieur à {gt}",
    "greater_than_equal": "doit être au moins {ge}",
    "less_than": "doit être inférieur à {lt}",
    "less_than_equal": "doit être au plus {le}",
    "multiple_of": "doit être un multiple de {multiple_of}",
    "finite_number": "nombre fini attendu",
    "too_short": "au moins {min_length} élément(s) attendu(s)",
    "too_long": "{max_length} élément(s) au plus",
    "iterable_type": "liste attendue",
    "iteration_error": "liste illisible",
    "string_type": "texte attendu",
    "string_unicode": "texte Unicode valide attendu",
    "string_too_short": "au moins {min_length} caractère(s)",
    "string_too_long": "texte trop long ({max_length} caractères au plus)",
    "string_pattern_mismatch": "format invalide (forme attendue : {pattern})",
    "string_not_ascii": "caractères non accentués attendus (ASCII)",
    "enum": "valeur inconnue ; valeurs possibles : {expected}",
    "dict_type": "objet attendu (dictionnaire)",
    "frozen_dict_type": "objet attendu (dictionnaire)",
    "ordered_dict_type": "objet attendu (dictionnaire)",
    "counter_type": "objet attendu (dictionnaire de nombres)",
    "mapping_type": "objet attendu (dictionnaire)",
    "list_type": "liste attendue",
    "deque_type": "liste attendue",
    "tuple_type": "liste attendue",
    "set_type": "liste de valeurs distinctes attendue",
    "set_item_not_hashable": "élément de liste invalide",
    "frozen_set_type": "liste de valeurs distinctes attendue",
    "bool_type": "vrai ou faux attendu (true ou false)",
    "bool_parsing": "vrai ou faux attendu (true ou false)",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_parsing_size": "nombre entier trop grand",
    "int_from_float": "nombre entier attendu (sans décimales)",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "bytes_type": "texte attendu",
    "bytes_too_short": "au moins {min_length} octet(s)",
    "bytes_too_long": "{max_length} octets au plus",
    "bytes_invalid_encoding": "encodage invalide",
    "value_error": "valeur invalide",
    "assertion_error": "valeur invalide",
    "literal_error": "valeur inconnue ; valeurs possibles : {expected}",
    "missing_sentinel_error": "valeur invalide",
    "ellipsis_error": "valeur invalide",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu, ex. 2026-11-28)",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ attendu, ex. 2026-11-28)",
    "date_from_datetime_inexact": "date sans heure attendue",
    "date_past": "la date doit être passée",
    "date_future": "la date doit être à venir",
    "time_type": "heure attendue (HH:MM)",
    "time_parsing": "heure invalide (HH:MM attendu, ex. 22:15)",
    "datetime_type": "date et heure attendues (ISO 8601)",
    "datetime_parsing": (
        "date et heure invalides (ISO 8601 attendu, ex. 2026-11-28T22:15:00+01:00)"
    ),
    "datetime_object_invalid": "date et heure invalides",
    "datetime_from_date_parsing": (
        "date et heure invalides (ISO 8601 attendu, ex. 2026-11-28T22:15:00+01:00)"
    ),
    "datetime_past": "l'instant doit être passé",
    "datetime_future": "l'instant doit être à venir",
    "timezone_naive": "l'instant ne doit pas porter de décalage horaire",
    "timezone_aware": "le décalage horaire est obligatoire (ex. +01:00 ou Z)",
    "timezone_offset": "décalage horaire attendu : {tz_expected} secondes",
    "time_delta_type": "durée attendue",
    "time_delta_parsing": "durée invalide",
    "is_instance_of": "valeur d'un type inattendu",
    "is_subclass_of": "valeur d'un type inattendu",
    "callable_type": "fonction attendue",
    "union_tag_invalid": "type inconnu ; valeurs possibles : {expected_tags}",
    "union_tag_not_found": "le champ {discriminator} est obligatoire",
    "arguments_type": "arguments invalides",
    "missing_argument": "argument obligatoire",
    "unexpected_keyword_argument": "argument inconnu",
    "missing_keyword_only_argument": "argument obligatoire",
    "unexpected_positional_argument": "argument en trop",
    "missing_positional_only_argument": "argument obligatoire",
    "multiple_argument_values": "argument donné deux fois",
    "url_type": "adresse web attendue",
    "url_parsing": "adresse web invalide",
    "url_syntax_violation": "adresse web mal formée",
    "url_too_long": "adresse web trop longue ({max_length} caractères au plus)",
    "url_scheme": "adresse web invalide : elle doit commencer par {expected_schemes}",
    "uuid_type": "identifiant attendu (UUID)",
    "uuid_parsing": "identifiant invalide (UUID attendu)",
    "uuid_version": "identifiant invalide (UUID version {expected_version} attendu)",
    "decimal_type": "nombre décimal attendu",
    "decimal_parsing": "nombre décimal attendu",
    "decimal_max_digits": "{max_digits} chiffres au plus",
    "decimal_max_places": "{decimal_places} décimales au plus",
    "decimal_whole_digits": "{whole_digits} chiffres au plus avant la virgule",
    "fraction_type": "fraction attendue",
    "fraction_parsing": "fraction invalide",
    "complex_type": "nombre complexe attendu",
    "complex_str_parsing": "nombre complexe invalide",
}

_DEFAULT = "valeur invalide"


def french_choices(expected: str) -> str:
    """pydantic's « 'a', 'b' or 'c' » (or a list of values) as « 'a', 'b' ou 'c' »."""
    values = _QUOTED.findall(expected)
    if not values:
        return expected.replace(" or ", " ou ")
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " ou " + quoted[-1]


def _context_value(value: Any) -> str:
    if isinstance(value, bool):
        return "vrai" if value else "faux"
    if isinstance(value, float):
        return decimal(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return french_choices(", ".join(f"'{v}'" for v in value))
    return str(value)


class _Context(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"


def french_reason(error: Mapping[str, Any]) -> str:
    """The reason of one pydantic error, in French, from its `type` and `ctx`."""
    kind = str(error.get("type", ""))
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in context:
        # Our own validators raise ValueError with a French sentence.
        return (
            str(context["error"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        )
    if kind in ("string_too_short", "too_short") and context.get("min_length") == 1:
        return "ne doit pas être vide"
    if kind not in REASONS:
        # A custom error of the service (blank text, control character…): its text is French.
        return str(error.get("msg") or _DEFAULT)
    values = _Context({key: _context_value(value) for key, value in context.items()})
    if "expected" in context:
        values["expected"] = french_choices(str(context["expected"]))
    reason = REASONS[kind].format_map(values)
    received = error.get("input")
    if kind in ("enum", "literal_error") and isinstance(received, str) and len(received) <= 40:
        reason += f" ; reçu « {received} »"
    return reason


def field_path(loc: Sequence[Any], *, skip: Sequence[str] = ()) -> str:
    """`texts.default`, `participants[2].role`: where the error is, as the input names it."""
    text = ""
    for part in loc:
        if isinstance(part, str) and (part in skip or part.startswith("function-")):
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
