"""Checks woven into every parsed template, where the sandbox has no hook of its own.

Jinja2 runs loops, concatenations (``~``) and output without asking the environment. So each
template's tree is rewritten once, when it is parsed: every loop iterates through a guard that
counts its turns, every ``~`` is checked before it joins, and every piece of output (in the
template, a macro, a block or a ``{% set %}`` body) is counted as it is produced. Their
filters take names no template can write (they are not identifiers).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any, Final

from jinja2 import nodes, pass_context, pass_eval_context
from jinja2.runtime import Context, markup_join, str_join
from jinja2.visitor import NodeTransformer

from crisis.templating.bounds import active_budget

LOOP: Final = "crisis:boucle"
OUTPUT: Final = "crisis:sortie"
CONCAT: Final = "crisis:concat"


@pass_context
def _loop(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    budget = active_budget()
    for item in iterable:
        budget.turn()
        yield item


@pass_context
def _output(context: Context, value: Any, static: int = 0) -> Any:
    """Count ``value`` as it will be printed (``finalize`` applied here, then again by
    Jinja2 on the text it returns: finalizing a text leaves it as it is)."""
    finalize = context.environment.finalize
    shown = finalize(value) if finalize is not None else value
    active_budget().emit(static + len(shown if isinstance(shown, str) else str(shown)))
    return shown


@pass_eval_context
def _concat(eval_ctx: nodes.EvalContext, parts: list[Any]) -> str:
    budget = active_budget()
    total = 0
    for part in parts:
        total += len(part if isinstance(part, str) else str(part))
        budget.allow(total)
    joined: str = markup_join(parts) if eval_ctx.autoescape else str_join(parts)
    budget.charge(joined)
    return joined


def install_guards(filters: MutableMapping[str, Any]) -> None:
    filters.update({LOOP: _loop, OUTPUT: _output, CONCAT: _concat})


def _filter(node: nodes.Expr, name: str, *args: nodes.Expr) -> nodes.Filter:
    return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)


class _Guard(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 (Jinja2's visitor names)
        self.generic_visit(node)
        assert isinstance(node.iter, nodes.Expr)
        node.iter = _filter(node.iter, LOOP)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802 (Jinja2's visitor names)
        self.generic_visit(node)
        return _filter(nodes.List(node.nodes, lineno=node.lineno), CONCAT)

    def visit_Output(self, node: nodes.Output) -> nodes.Node:  # noqa: N802 (Jinja2's visitor names)
        self.generic_visit(node)
        static = sum(
            len(child.data) for child in node.nodes if isinstance(child, nodes.TemplateData)
        )
        guarded: list[nodes.Expr] = []
        if static:
            guarded.append(_filter(nodes.Const(""), OUTPUT, nodes.Const(static)))
        guarded.extend(
            child if isinstance(child, nodes.TemplateData) else _filter(child, OUTPUT)
            for child in node.nodes
        )
        node.nodes = guarded
        return node


def guard_tree(tree: nodes.Template) -> nodes.Template:
    """The same template, with its loops, concatenations and output counted."""
    guarded = _Guard().visit(tree)
    assert isinstance(guarded, nodes.Template)
    return guarded
