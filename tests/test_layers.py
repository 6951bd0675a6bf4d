"""Layers point one way: the import graph of ``matchmaker`` has no cycles, and the JSON API and
the HTML pages do not import each other.

Every import counts, also those inside functions: an import moved into a function to dodge a
cycle still ties the two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import matchmaker

ROOT = Path(matchmaker.__file__).parent
# The matching library is owned and checked separately (its own purity test); migrations are
# scripts Alembic loads by path.
SKIPPED = ("matchmaker.matching", "matchmaker.migrations")


def _module_name(path: Path) -> str:
    parts = ["matchmaker", *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The module ``target`` names, or its nearest enclosing module."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                if not target.startswith("matchmaker"):
                    continue
                resolved = _resolve(target, modules)
                if resolved and resolved != name and resolved != "matchmaker":
                    edges.add(resolved)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _checked(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        name: {t for t in edges if not t.startswith(SKIPPED)}
        for name, edges in graph.items()
        if not name.startswith(SKIPPED)
    }


def _layer(name: str) -> str:
    return name.split(".")[1] if name.count(".") >= 1 else ""


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    assert "matchmaker.postings.editing" in graph["matchmaker.postings"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_matchmaker_modules_import_each_other_without_cycles() -> None:
    assert _cycles(_checked(import_graph())) == []


def test_api_and_web_do_not_import_each_other() -> None:
    graph = import_graph()
    crossing = sorted(
        f"{name} -> {target}"
        for name, edges in graph.items()
        for target in edges
        if {_layer(name), _layer(target)} == {"api", "web"}
    )
    assert crossing == []
