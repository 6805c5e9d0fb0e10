"""The tool registry stays independent of the wire layer and the runner, and
cheap to import: pydantic and jsonschema load when the first tool needs them
(pydantic not at all for tools whose parameters are plain JSON types, and
jsonschema not for well-typed arguments of tools with scalar parameters)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import agentkit.tools

ALLOWED = {
    "agentkit._errors",
    "agentkit._context",
    "agentkit._events",
    "agentkit._json",
    "agentkit._logging",
}
HEAVY = ("pydantic", "pydantic_core", "jsonschema")
DEFINE_A_TOOL = """
from agentkit.tools import tool

@tool
def add(a: int, b: int) -> int:
    return a + b
"""


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


def test_the_tools_package_imports_only_errors_context_events_json_and_logging() -> None:
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
        "ToolSource",
        "tool",
    ]


def _top_level_imports(path: Path) -> set[str]:
    """The modules imported when ``path`` is imported (not inside functions or
    ``if TYPE_CHECKING:``)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _loaded_after(code: str) -> set[str]:
    """The heavy modules loaded by ``code``, run in a fresh interpreter."""
    report = f"import sys; print(*(name for name in {HEAVY!r} if name in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_no_tools_module_imports_pydantic_or_jsonschema_at_module_level() -> None:
    package = Path(agentkit.tools.__file__).parent
    for path in sorted(package.glob("*.py")):
        heavy = {name for name in _top_level_imports(path) if name.split(".")[0] in HEAVY}
        assert not heavy, path.name


def test_importing_the_tools_loads_neither_pydantic_nor_jsonschema() -> None:
    assert _loaded_after("import agentkit.tools") == set()


def test_a_plain_json_tool_loads_jsonschema_only_for_arguments_the_quick_check_refuses() -> None:
    assert _loaded_after(DEFINE_A_TOOL) == set()
    validate = 'assert add.parse_arguments(\'{"a": 1, "b": 2}\') == {"a": 1, "b": 2}'
    assert _loaded_after(DEFINE_A_TOOL + validate) == set()
    refuse = """
from agentkit import ToolArgumentsError
try:
    add.parse_arguments('{"a": true, "b": 2}')
except ToolArgumentsError as error:
    assert "expected integer" in str(error), error
"""
    assert _loaded_after(DEFINE_A_TOOL + refuse) == {"jsonschema"}


def test_running_a_plain_json_tool_loads_no_pydantic() -> None:
    run = """
import anyio
from agentkit.tools import RunContext, tool

@tool
def greet(name: str, times: int = 1) -> str:
    return "hi " * times + name

outcome = anyio.run(greet.execute, '{"name": "Ann", "times": 2}', RunContext(None))
assert outcome.output == "hi hi Ann", outcome
"""
    assert _loaded_after(run) == set()


def test_an_integral_float_for_an_int_is_converted_by_pydantic() -> None:
    convert = 'assert add.parse_arguments(\'{"a": 1.0, "b": 2}\') == {"a": 1, "b": 2}'
    assert _loaded_after(DEFINE_A_TOOL + convert) == {"pydantic", "pydantic_core", "jsonschema"}


def test_a_tool_with_other_types_loads_pydantic_when_defined() -> None:
    define = """
import datetime
from agentkit.tools import tool

@tool
def remind(at: datetime.datetime) -> str:
    return "ok"
"""
    assert _loaded_after(define) == {"pydantic", "pydantic_core"}
