"""Jinja2's filters with their results bounded.

The filters that can build a long text from a short one (``center``, ``indent``,
``format``, ``join``, ``replace``, ``wordwrap``, ``truncate``, ``batch``, ``slice``,
``tojson``, ``urlize``) first estimate the size of their result from their arguments and
refuse it before building it;
every filter, these and the others, then has its result counted in the rendering's budget.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Final

from jinja2 import pass_environment, pass_eval_context
from jinja2.environment import Environment
from jinja2.filters import make_attrgetter
from jinja2.nodes import EvalContext
from markupsafe import escape

from crisis.templating.bounds import RenderBudget, active_budget, check_printf

Filter = Callable[..., Any]


def charged(original: Filter) -> Filter:
    """``original`` with its result counted; its Jinja2 decorators (pass_context…) are kept,
    since ``functools.wraps`` copies the attribute they set."""

    @functools.wraps(original)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = active_budget()
        budget.tick()
        result = original(*args, **kwargs)
        budget.charge(result)
        return result

    return bounded


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _center(original: Filter) -> Filter:
    def center(value: Any, width: int = 80) -> Any:
        active_budget().allow(max(len(_text(value)), width if isinstance(width, int) else 0))
        return original(value, width)

    return center


def _indent(original: Filter) -> Filter:
    def indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> Any:
        text = _text(s)
        step = width if isinstance(width, int) else len(_text(width))
        active_budget().allow(len(text) + (text.count("\n") + 1) * max(step, 0))
        return original(s, width, first, blank)

    return indent


def _format(original: Filter) -> Filter:
    def format_(value: Any, *args: Any, **kwargs: Any) -> Any:
        check_printf(_text(value), active_budget())
        return original(value, *args, **kwargs)

    return format_


def _join(original: Filter) -> Filter:
    @pass_eval_context
    def join(eval_ctx: EvalContext, value: Any, d: str = "", attribute: Any = None) -> Any:
        budget = active_budget()
        items = list(value)
        budget.allow(len(items))
        if attribute is not None:
            items = list(map(make_attrgetter(eval_ctx.environment, attribute), items))
        total = len(_text(d)) * max(len(items) - 1, 0)
        budget.allow(total)
        for item in items:
            total += len(_text(item))
            budget.allow(total)
        return original(eval_ctx, items, d)

    return join


def _replace(original: Filter) -> Filter:
    @pass_eval_context
    def replace(eval_ctx: EvalContext, s: Any, old: Any, new: Any, count: int | None = None) -> Any:
        text, before, after = _text(s), _text(old), _text(new)
        found = len(text) + 1 if not before else text.count(before)
        if isinstance(count, int) and count >= 0:
            found = min(found, count)
        active_budget().allow(len(text) + found * max(len(after) - len(before), 0))
        return original(eval_ctx, s, old, new, count)

    return replace


def _wordwrap(original: Filter) -> Filter:
    @pass_environment
    def wordwrap(
        environment: Environment,
        s: Any,
        width: int = 79,
        break_long_words: bool = True,
        wrapstring: str | None = None,
        break_on_hyphens: bool = True,
    ) -> Any:
        text = _text(s)
        joint = environment.newline_sequence if wrapstring is None else _text(wrapstring)
        breaks = len(text) // max(width, 1) + text.count(" ") + text.count("\n") + 1
        active_budget().allow(len(text) + breaks * len(joint))
        return original(environment, s, width, break_long_words, wrapstring, break_on_hyphens)

    return wordwrap


def _truncate(original: Filter) -> Filter:
    @pass_environment
    def truncate(
        environment: Environment,
        s: Any,
        length: int = 255,
        killwords: bool = False,
        end: str = "...",
        leeway: int | None = None,
    ) -> Any:
        active_budget().allow(len(_text(s)) + len(_text(end)))
        return original(environment, s, length, killwords, end, leeway)

    return truncate


def _sized(original: Filter) -> Filter:
    """``batch`` and ``slice``: their count is the size of the lists they may build."""

    def sized(value: Any, count: int, fill_with: Any = None) -> Any:
        if isinstance(count, int):
            active_budget().allow(count)
        return original(value, count, fill_with)

    return sized


def _indent_prefixes(value: Any, depth: int, unit: int, budget: RenderBudget) -> int:
    """The characters an indented JSON dump adds to the compact one: a line break and
    ``unit`` characters per level before each item and each closing bracket."""
    budget.tick()
    items: list[Any]
    if isinstance(value, Mapping):
        items = list(value.values())
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return 0
    if not items:
        return 0
    added = len(items) * (1 + (depth + 1) * unit) + 1 + depth * unit
    return added + sum(_indent_prefixes(item, depth + 1, unit, budget) for item in items)


def _tojson(original: Filter) -> Filter:
    @pass_eval_context
    def tojson(eval_ctx: EvalContext, value: Any, indent: int | str | None = None) -> Any:
        if indent is None:
            return original(eval_ctx, value)
        budget = active_budget()
        compact = original(eval_ctx, value)
        unit = max(indent, 0) if isinstance(indent, int) else len(_text(indent))
        budget.allow(len(compact) + _indent_prefixes(value, 0, unit, budget))
        return original(eval_ctx, value, indent)

    return tojson


# What urlize may turn into a link: a word with a dot, an at sign or a colon.
_LINK_LIKE = re.compile(r"[.@:]")
# `<a href="https://"…` + ` rel=""` + ` target=""` + `>` + `</a>`, rounded up.
_LINK_MARKUP = 48


def _urlize(original: Filter) -> Filter:
    @pass_eval_context
    def urlize(
        eval_ctx: EvalContext,
        value: Any,
        trim_url_limit: int | None = None,
        nofollow: bool = False,
        target: str | None = None,
        rel: str | None = None,
        extra_schemes: Any = None,
    ) -> Any:
        text = _text(value)
        budget = active_budget()
        budget.allow(len(text))
        policies = eval_ctx.environment.policies
        attributes = len(_text(target or policies["urlize.target"] or ""))
        attributes += len(_text(rel or "")) + len(_text(policies["urlize.rel"] or "")) + 9
        links = [w for w in text.split() if _LINK_LIKE.search(w)]
        # Each link shows its address twice (the href and the text), escaped.
        extra = sum(len(escape(w)) + attributes + _LINK_MARKUP for w in links)
        budget.allow(len(escape(text)) + extra)
        return original(eval_ctx, value, trim_url_limit, nofollow, target, rel, extra_schemes)

    return urlize


_CHECKED: Final[dict[str, Callable[[Filter], Filter]]] = {
    "center": _center,
    "indent": _indent,
    "format": _format,
    "join": _join,
    "replace": _replace,
    "wordwrap": _wordwrap,
    "truncate": _truncate,
    "batch": _sized,
    "slice": _sized,
    "tojson": _tojson,
    "urlize": _urlize,
}


def bound_filters(filters: MutableMapping[str, Filter]) -> None:
    """Replace every filter by its bounded version, in place."""
    for name, original in list(filters.items()):
        checked = _CHECKED[name](original) if name in _CHECKED else original
        filters[name] = charged(checked)
