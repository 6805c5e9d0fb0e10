"""The tool registry stays independent of the wire layer and the runner."""

from __future__ import annotations

import ast
from pathlib import Path

import agentkit.tools

ALLOWED = {"agentkit._errors", "agentkit._context", "agentkit._events", "agentkit._logging"}


def _agentkit_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 2:  # from .._x import y
            found.add(f"agentkit.{node.module}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("agentkit"):
            found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("agentkit"))
    return found


def test_the_tools_package_imports_only_errors_context_events_and_logging() -> None:
    package = Path(agentkit.tools.__file__).parent
    for path in sorted(package.glob("*.py")):
        assert _agentkit_imports(path) <= ALLOWED, path.name


def test_the_public_names() -> None:
    assert sorted(agentkit.tools.__all__) == [
        "RunContext",
        "Tool",
        "ToolDecorator",
        "ToolOutcome",
        "ToolRegistry",
        "tool",
    ]
