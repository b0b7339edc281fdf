"""The sandboxed Jinja2 environments and the static checks run on template sources.

Two environments share everything but autoescaping: HTML variants escape every value,
text variants do not (escaping would corrupt an SMS). Both are immutable sandboxes with
``StrictUndefined``: a name that is not defined is an error, never a blank.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import datetime
from types import BuiltinMethodType, MethodType
from typing import Any, Final

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.meta import find_undeclared_variables
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crisis.templating.bounded_filters import bound_filters
from crisis.templating.bounds import (
    MAX_RANGE,
    MAX_SOURCE_LENGTH,
    RenderBudget,
    RenderLimitError,
    active_budget,
    check_format_string,
    check_printf,
    french_number,
)
from crisis.templating.filters import FILTERS, FilterError, communes, date_fr
from crisis.templating.guarded_tree import guard_tree, install_guards
from crisis.templating.syntax_fr import french_syntax

MAX_REPEAT_LENGTH: Final = 10_000
MAX_EXPONENT: Final = 64
MAX_INTEGER_BITS: Final = 10_000  # about 3 000 digits

_BINOPS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "*": operator.mul,
    "**": operator.pow,
    "%": operator.mod,
    "+": operator.add,
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


def bounded_range(*args: int) -> range:
    """``range()`` in a template: at most MAX_RANGE values."""
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise RenderLimitError(f"range() est limité à {french_number(MAX_RANGE)} valeurs")
    return values


def _sized(value: object) -> bool:
    return isinstance(value, str | list | tuple)


def _integer_bits(operator: str, left: int, right: int) -> bool:
    """Whether ``left ** right`` or ``left * right`` would have too many bits."""
    if operator == "**" and right > 0:
        return max(abs(left).bit_length(), 1) * right > MAX_INTEGER_BITS
    if operator == "*":
        return abs(left).bit_length() + abs(right).bit_length() > MAX_INTEGER_BITS
    return False


def _check_binop(operator: str, left: Any, right: Any, budget: RenderBudget) -> None:
    """Refuse, before computing it, an operation whose result would be too large."""
    if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
        raise SecurityError("exposant trop grand")
    if isinstance(left, int) and isinstance(right, int) and _integer_bits(operator, left, right):
        raise RenderLimitError("nombre trop grand")
    if operator == "*":
        for sequence, count in ((left, right), (right, left)):
            if _sized(sequence) and isinstance(count, int):
                if len(sequence) * count > MAX_REPEAT_LENGTH:
                    raise SecurityError("répétition trop longue")
                budget.allow(len(sequence) * count)
    if operator == "+" and _sized(left) and _sized(right):
        budget.allow(len(left) + len(right))
    if operator == "%" and isinstance(left, str):
        check_printf(left, budget)


def _check_str_method(
    name: str, text: str, args: tuple[Any, ...], kwargs: dict[str, Any], budget: RenderBudget
) -> tuple[Any, ...]:
    """Refuse a call of a text's method (``'x'.center(10**9)``) that would build too long a
    text; the arguments to call it with (an iterable given to ``join`` is read once here)."""
    if name in ("center", "ljust", "rjust", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        if isinstance(width, int):
            budget.allow(max(len(text), width))
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int):
            budget.allow(len(text) + text.count("\t") * max(size, 0))
    elif name == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        found = len(text) + 1 if not old else text.count(old)
        budget.allow(len(text) + found * max(len(new) - len(old), 0))
    elif name == "join" and args:
        items = list(args[0])
        budget.allow(len(items))
        total = len(text) * max(len(items) - 1, 0)
        budget.allow(total)
        for item in items:
            total += len(item) if isinstance(item, str) else 0
            budget.allow(total)
        return (items, *args[1:])
    elif name in ("translate", "maketrans"):
        raise RenderLimitError(f"la méthode {name}() est refusée dans les modèles")
    return args


class GuardedSandbox(ImmutableSandboxedEnvironment):
    """An immutable sandbox whose every operation is bounded in size and in time.

    Calls, attribute reads and the ``*``, ``**``, ``%`` and ``+`` operators go through
    hooks that check the rendering's budget (``crisis.templating.bounds``) and refuse an
    operation whose result would be too large before computing it; the filters are
    bounded likewise (``bounded_filters``), and loops, ``~`` and output are counted by
    checks woven into every parsed template (``guarded_tree``).
    """

    intercepted_binops = frozenset(_BINOPS)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return guard_tree(super()._parse(source, name, filename))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = active_budget()
        budget.tick()
        _check_binop(operator, left, right, budget)
        result = _BINOPS[operator](left, right)
        budget.charge(result)
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget = active_budget()
        budget.tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and isinstance(__obj, MethodType | BuiltinMethodType):
            args = _check_str_method(__obj.__name__, owner, args, kwargs, budget)
        result = super().call(__context, __obj, *args, **kwargs)
        budget.charge(result)
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        active_budget().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        active_budget().tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` and ``format_map``: the template's field widths checked first."""
        formatting = super().wrap_str_format(value)
        if formatting is None:
            return None
        template: str = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            budget = active_budget()
            check_format_string(template, budget)
            result = formatting(*args, **kwargs)
            budget.charge(result)
            return result

        return bounded


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
    bound_filters(env.filters)
    install_guards(env.filters)
    for name in ("lipsum", "cycler", "joiner", "namespace"):
        env.globals.pop(name, None)
    env.globals["range"] = bounded_range
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
        most = french_number(MAX_SOURCE_LENGTH)
        return [f"{label} : source trop longue (plus de {most} caractères)"]
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
        elif (
            isinstance(node, nodes.Const)
            and isinstance(node.value, float)
            and not math.isfinite(node.value)
        ):
            # Jinja2 would compile it as the name `inf`, unknown when the template runs.
            problems.append(f"{label} : nombre trop grand (au-delà de 1e308)")
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
