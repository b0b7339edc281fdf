"""The sandboxed Jinja2 environments and the static checks run on template sources.

Two environments share everything but autoescaping: HTML variants escape every value,
text variants do not (escaping would corrupt an SMS). Both are immutable sandboxes with
``StrictUndefined``: a name that is not defined is an error, never a blank.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.meta import find_undeclared_variables
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crisis.templating.filters import FILTERS, FilterError, communes, date_fr
from crisis.templating.syntax_fr import french_syntax

MAX_SOURCE_LENGTH: Final = 20_000
MAX_REPEAT_LENGTH: Final = 10_000
MAX_EXPONENT: Final = 64

_BINOPS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "*": operator.mul,
    "**": operator.pow,
}


def _finalize(value: object) -> object:
    """What ``{{ value }}`` prints: dates in French, lists of communes joined, never None."""
    if value is None:
        raise FilterError("valeur absente : tester la variable avec {% if … %} avant de l'afficher")
    if isinstance(value, datetime):
        return date_fr(value)
    if isinstance(value, tuple | list):
        return communes(value)
    return value


class GuardedSandbox(ImmutableSandboxedEnvironment):
    """An immutable sandbox that also bounds repetition and exponentiation, so a template
    cannot exhaust memory with ``'x' * 10**9``."""

    intercepted_binops = frozenset(_BINOPS)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError("exposant trop grand")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(count, int)
                    and len(sequence) * count > MAX_REPEAT_LENGTH
                ):
                    raise SecurityError("répétition trop longue")
        if operator in _BINOPS:
            return _BINOPS[operator](left, right)
        return super().call_binop(context, operator, left, right)


def make_environment(*, html: bool) -> GuardedSandbox:
    env = GuardedSandbox(
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=_finalize,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    for name in ("lipsum", "cycler", "joiner", "namespace"):
        env.globals.pop(name, None)
    return env


_FORBIDDEN_TAGS: Final[dict[type[nodes.Node], str]] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
}

# Names Jinja2 binds to its own machinery: `{{ self }}` renders the template reference,
# `super`, `caller`, `varargs` and `kwargs` reach blocks and macro internals.
_MACHINERY_NAMES: Final[frozenset[str]] = frozenset(
    {"self", "super", "caller", "varargs", "kwargs"}
)


def _said(label: str, what: str, error: TemplateSyntaxError) -> str:
    return f"{label} : {what} ligne {error.lineno} : {french_syntax(error.message or '')}"


def static_problems(
    env: GuardedSandbox, source: str, *, declared: set[str], label: str
) -> list[str]:
    """Problems found in a source without running it (French sentences, ``label`` names the
    variant). Internal attributes, template inclusion and undeclared names are refused."""
    if len(source) > MAX_SOURCE_LENGTH:
        return [f"{label} : source trop longue (plus de {MAX_SOURCE_LENGTH} caractères)"]
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as error:
        return [_said(label, "erreur de syntaxe", error)]
    problems: list[str] = []
    for node in tree.find_all(nodes.Node):
        if type(node) in _FORBIDDEN_TAGS:
            tag = _FORBIDDEN_TAGS[type(node)]
            problems.append(f"{label} : l'instruction {tag} est interdite")
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            problems.append(f"{label} : accès interdit à l'attribut interne « {node.attr} »")
        elif isinstance(node, nodes.Name) and (
            node.name.startswith("_") or node.name in _MACHINERY_NAMES
        ):
            problems.append(f"{label} : nom interne interdit « {node.name} »")
        elif isinstance(node, nodes.Const) and isinstance(node.value, str) and "__" in node.value:
            problems.append(f"{label} : chaîne interdite « {node.value} » (attribut interne)")
    try:
        undeclared = find_undeclared_variables(tree) - declared - set(env.globals)
    except TemplateSyntaxError as error:  # e.g. an unknown filter, found while compiling
        return [*problems, _said(label, "erreur", error)]
    problems.extend(
        f"{label} : variable non déclarée dans le manifeste « {name} »"
        for name in sorted(undeclared)
    )
    if not problems:
        try:
            env.from_string(source)
        except TemplateSyntaxError as error:
            problems.append(_said(label, "erreur", error))
    return problems
