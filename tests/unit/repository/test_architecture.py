"""The layers hold: the import contracts of pyproject.toml, and no cycle between packages.

A package here is a subpackage or top-level module of `crisis` (`crisis.services`,
`crisis.bootstrap`) or a module of `channels` and `drills`: a cycle through the drills, such as
bootstrap → scheduling → drills → bootstrap, is one even though it crosses two top-level packages.
"""

from __future__ import annotations

import logging

import grimp
from importlinter.cli import lint_imports

from tests.conftest import REPO_ROOT

ROOT_PACKAGES = ("crisis", "channels", "drills", "templates")


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _package_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph(*ROOT_PACKAGES, cache_dir=None)
    edges: dict[str, set[str]] = {_package(m): set() for m in graph.modules}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if _package(imported) != _package(module):
                edges[_package(module)].add(_package(imported))
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_import_contracts_are_kept() -> None:
    # import-linter configures logging (a dictConfig), which disables every logger that
    # exists: they speak again afterwards, for the tests that read logs in this process.
    speaking = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.disabled
    ]
    try:
        assert lint_imports(config_filename=str(REPO_ROOT / "pyproject.toml"), no_cache=True) == 0
    finally:
        for logger in speaking:
            logger.disabled = False


def test_no_import_cycle_between_packages() -> None:
    assert _cycles(_package_graph()) == []


def test_a_cycle_would_be_found() -> None:
    edges = {"crisis.bootstrap": {"drills.runner"}, "drills.runner": {"crisis.bootstrap"}}
    assert _cycles(edges) == [["crisis.bootstrap", "drills.runner"]]
