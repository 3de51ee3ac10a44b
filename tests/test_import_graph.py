"""No import circles among the product modules (pipeline/, warehouse/, flows/), counting the
imports inside functions too: a circle that holds only through a late import is still one."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pipeline", "warehouse", "flows")

# Circles known to remain, each as the sorted tuple of its modules. Empty this set once they go.
ALLOWED: set[tuple[str, ...]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, here: str, is_package: bool, modules: set[str]) -> set[str]:
    """The product modules ``tree`` imports, at any depth (a package counts as its __init__)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:  # importing a.b.c runs a/__init__ and a/b/__init__ first
            parts = name.split(".")
            found.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
        found &= modules
    # a module's own packages are running already when it imports: no edge back to them
    parts = here.split(".")
    return found - {".".join(parts[:n]) for n in range(1, len(parts) + 1)}


def import_graph() -> dict[str, set[str]]:
    """Each product module and the product modules it imports."""
    paths = {
        _module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }
    modules = set(paths)
    return {
        name: _imported(ast.parse(path.read_text()), name, path.name == "__init__.py", modules)
        for name, path in paths.items()
    }


def cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_late_imports() -> None:
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert cycles(graph) == {("a", "b")}
    tree = ast.parse("def f():\n    from warehouse.connection import connect\n")
    assert _imported(tree, "warehouse.x", False, {"warehouse.connection"}) == {
        "warehouse.connection"
    }


def test_no_import_circles() -> None:
    assert cycles(import_graph()) - ALLOWED == set()
