"""The package's shape: public names, and imports that go one way.

- Each public module's ``__all__`` lists exactly its public names (as httpx's
  ``tests/test_exported_members.py`` does), and the names PRODUCT.md promises
  are among them.
- No import cycle inside ``agentkit/``: the graph of module-level imports
  (``TYPE_CHECKING`` blocks and imports inside functions are not edges: they
  do not run at import time) has no strongly connected component larger
  than one module.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import agentkit
import agentkit.mcp
import agentkit.models
import agentkit.otel
import agentkit.testing
import agentkit.tools
import agentkit.ui

PACKAGE = Path(agentkit.__file__).resolve().parent

CONTRACT = {
    "Agent",
    "AgentkitError",
    "OpenAIChatModel",
    "RunResult",
    "StreamAccumulator",
    "ToolRegistry",
    "UsageError",
    "tool",
}
"""Names ../shared/PRODUCT.md uses in its public API contract."""


@pytest.mark.parametrize(
    "module",
    [
        agentkit,
        agentkit.tools,
        agentkit.testing,
        agentkit.ui,
        agentkit.models,
        agentkit.otel,
        agentkit.mcp,
    ],
    ids=lambda module: module.__name__,
)
def test_all_lists_exactly_the_public_names(module: types.ModuleType) -> None:
    # Resolve the names a package loads lazily (PEP 562 __getattr__) first.
    for name in getattr(module, "_HOMES", {}):
        getattr(module, name)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    public.discard("annotations")  # from __future__ import annotations
    assert sorted(module.__all__) == sorted(public | {"__version__"} & set(module.__all__))


def test_the_contract_names_are_exported() -> None:
    assert set(agentkit.__all__) >= CONTRACT


def test_the_lazy_names_are_the_public_names_and_each_resolves() -> None:
    homes = agentkit._HOMES  # type: ignore[attr-defined]
    assert sorted(homes) == sorted(set(agentkit.__all__) - {"__version__"})
    for name, home in homes.items():
        value = getattr(agentkit, name)
        assert value is getattr(importlib.import_module(home, "agentkit"), name)


def test_import_agentkit_alone_loads_no_dependency() -> None:
    report = "import sys; print(*(n for n in ('httpx', 'anyio') if n in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", f"import agentkit\n{report}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                pending += handler.body
    return found


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join([*base, node.module] if node.module else base)
    else:
        prefix = node.module or ""
    # ``from package import name`` may import the submodule ``package.name``.
    return {prefix} | {f"{prefix}.{alias.name}" for alias in node.names}


def import_graph() -> dict[str, set[str]]:
    """agentkit module -> the agentkit modules it imports at import time."""
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in _top_level_imports(tree):
            edges |= _targets(node, module, path.name == "__init__.py")
        graph[module] = {target for target in edges if target in files and target != module}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
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
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_import_graph_is_read() -> None:
    graph = import_graph()
    assert "agentkit._run" in graph["agentkit._agent"]
    assert "agentkit.models._stream" in graph["agentkit.models.openai"]


def test_no_import_cycle_inside_the_package() -> None:
    assert strongly_connected(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


LOADED_ONLY_WHEN_USED = (
    "pydantic",
    "pydantic_core",
    "jsonschema",
    "structlog",
    "docstring_parser",
    "uvicorn",
    "starlette",
    "mcp",
    "opentelemetry",
    "trio",
)
"""Packages `import agentkit` must not import: validation and schemas load
with the first tool, structlog with the first log line written, the rest
with the optional feature that needs them."""


def test_import_agentkit_loads_no_package_it_does_not_need_yet() -> None:
    report = f"import sys; print(*(n for n in {LOADED_ONLY_WHEN_USED!r} if n in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", f"import agentkit\n{report}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == []
