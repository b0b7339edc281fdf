"""A variant's text once rendered: tidied, marked in an exercise; and why a rendering failed,
said in French."""

from __future__ import annotations

import re
from typing import Final

from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.exceptions import TemplateError as JinjaTemplateError
from markupsafe import Markup

from channels.speech import speakable
from crisis.templating.bounds import RenderLimitError
from crisis.templating.filters import FilterError
from crisis.templating.limits import Variant

_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")

RENDER_FAILURES: Final = (
    SecurityError,
    UndefinedError,
    FilterError,
    RecursionError,
    JinjaTemplateError,
    TypeError,
    ValueError,
    ArithmeticError,
    AttributeError,
    LookupError,
)
# Python's own errors said in French (their text is English): the most specific first.
_PYTHON_REASONS: Final[tuple[tuple[type[Exception], str], ...]] = (
    (ZeroDivisionError, "division par zéro"),
    (OverflowError, "nombre trop grand"),
    (ArithmeticError, "calcul impossible"),
    (AttributeError, "cette valeur n'a pas l'attribut demandé"),
    (LookupError, "élément ou clé absent"),
    (TypeError, "opération impossible sur ce type de valeur"),
    (ValueError, "valeur impossible à convertir ou à traiter"),
)


def failure_reason(error: Exception) -> str:
    """Why a rendering failed, for the template's author (one of ``RENDER_FAILURES``)."""
    if isinstance(error, RenderLimitError | FilterError):
        return str(error)
    if isinstance(error, SecurityError):
        return f"opération refusée par le bac à sable ({error})"
    if isinstance(error, UndefinedError):
        return f"valeur non définie ({error.message})"
    if isinstance(error, RecursionError):
        return "le modèle s'appelle lui-même trop de fois (macro ou boucle récursive)"
    if not isinstance(error, JinjaTemplateError):
        for kind, reason in _PYTHON_REASONS:
            if isinstance(error, kind):
                return reason
    return str(error)


def tidy(variant: Variant, raw: str) -> str:
    if variant.is_html:
        return raw.strip()
    if variant is Variant.VOICE:
        # What the author previews is what the phone reads: « C O D », digits one by one.
        return speakable(raw).strip()
    if variant.single_line:
        return " ".join(raw.split())
    lines = [line.rstrip() for line in raw.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def mark(variant: Variant, text: str, marker: str) -> str:
    if variant.is_html:
        block = Markup('<p class="exercice"><strong>{}</strong></p>\n').format(marker)
        found = _BODY_OPEN.search(text)
        if found is None:
            return f"{block}{text}"
        return f"{text[: found.end()]}\n{block}{text[found.end() :]}"
    if variant.single_line:
        return f"{marker} – {text}"
    return f"{marker}\n{text}"
