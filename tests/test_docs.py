"""The docs site: complete, runnable, and buildable.

- Every public name (``agentkit.__all__``, ``agentkit.tools.__all__``,
  ``agentkit.testing.__all__``, ``agentkit.ui.__all__``,
  ``agentkit.mcp.__all__``) is in a mkdocstrings directive of a
  ``docs/reference/*.md`` page (``::: agentkit.Name``, or a name listed under
  a directive's ``members:`` option).
- The Python code blocks of the docs pages marked as runnable are executed.
  The convention, an HTML comment on the line before the fence (invisible on
  the site):

  - ``<!-- test: run -->``: the blocks of a page run in order, in one
    namespace, with ``AGENTKIT_BASE_URL`` pointing at a `ScriptedServer`
    whose responder answers like a small model (it calls every tool offered,
    then answers). Top-level ``await``/``async with`` is allowed: such a
    block runs in an event loop of its own, once on asyncio and once on trio.
  - ``<!-- test: pytest -->``: the block is a test module, run by pytest in a
    fresh interpreter.

  ``docs/tools.md`` is run by ``tests/tools/test_examples.py`` instead.
- ``mkdocs build --strict`` succeeds. It needs the docs dependencies
  (mkdocs-material, mkdocstrings[python]); without them the test fails, it
  does not skip.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import agentkit
import agentkit.mcp
import agentkit.testing
import agentkit.tools
import agentkit.ui
from agentkit.testing import (
    RecordedRequest,
    ScriptedResponse,
    ScriptedServer,
    text_response,
    tool_call_response,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PUBLIC_MODULES = (agentkit, agentkit.tools, agentkit.testing, agentkit.ui, agentkit.mcp)
RUN_BLOCK = re.compile(r"<!-- test: (run|pytest) -->\n```python\n(.*?)```", re.DOTALL)
MARKER = re.compile(r"<!-- test: [^>]*-->")
DIRECTIVE = re.compile(r"^::: ([\w.]+)[ \t]*$((?:\n[ \t]+\S.*)*)", re.MULTILINE)
MEMBER = re.compile(r"^[ \t]+- ([\w]+)[ \t]*$", re.MULTILINE)
RUN_ELSEWHERE = {"tools.md"}  # tests/tools/test_examples.py runs its blocks
MIN_RUNNABLE_BLOCKS = {
    "index.md": 1,
    "getting-started.md": 7,
    "streaming.md": 7,
    "errors.md": 3,
    "testing.md": 4,
    "cli.md": 1,
    "mcp.md": 2,
}


# ------------------------------------------------------------ reference pages


def _documented_paths() -> set[str]:
    """Every object path named by a directive of the reference pages."""
    paths: set[str] = set()
    for page in sorted((DOCS / "reference").glob("*.md")):
        for match in DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            path, options = match.groups()
            paths.add(path)
            if "members:" in options:
                paths.update(f"{path}.{name}" for name in MEMBER.findall(options))
    return paths


def _resolve(path: str) -> Any:
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(path)


def _public_paths() -> list[str]:
    return [f"{module.__name__}.{name}" for module in PUBLIC_MODULES for name in module.__all__]


def test_every_public_name_is_in_the_api_reference() -> None:
    documented = _documented_paths()
    documented_objects = [_resolve(path) for path in documented]
    missing = []
    for path in _public_paths():
        if path in documented:
            continue
        # The same object documented under another public path (agentkit.tool
        # is agentkit.tools.tool) counts; strings (__version__) must be named.
        target = _resolve(path)
        if isinstance(target, str) or not any(target is other for other in documented_objects):
            missing.append(path)
    assert not missing, f"not in any docs/reference/*.md directive: {missing}"


def test_the_api_reference_names_only_public_objects() -> None:
    public = set(_public_paths())
    private = [path for path in _documented_paths() if path not in public]
    assert not private, f"reference directives outside the public __all__ lists: {private}"


# -------------------------------------------------------------- runnable docs


def _pages() -> list[Path]:
    return [page for page in sorted(DOCS.glob("*.md")) if page.name not in RUN_ELSEWHERE]


def _blocks(page: Path, kind: str) -> list[str]:
    return [code for found, code in RUN_BLOCK.findall(page.read_text("utf-8")) if found == kind]


def test_every_test_marker_precedes_a_python_block() -> None:
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        markers = len(MARKER.findall(text))
        assert markers == len(RUN_BLOCK.findall(text)), f"{page.name}: a marker is misplaced"
        runnable = len(_blocks(page, "run")) + len(_blocks(page, "pytest"))
        assert runnable >= MIN_RUNNABLE_BLOCKS.get(page.name, 0), page.name


def _example_value(schema: dict[str, Any]) -> Any:
    """A plausible value for a JSON schema (enough for the docs' tools)."""
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _example_value(schema["anyOf"][0])
    examples = {"string": "Hanoi", "integer": 7, "number": 1.5, "boolean": True}
    kind = schema.get("type")
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return examples.get(kind, "Hanoi")


def model_like(request: RecordedRequest) -> ScriptedResponse:
    """Answer like a small model: call every tool offered, then answer."""
    body = request.json()
    messages = body["messages"]
    tools = body.get("tools") or []
    if messages[-1]["role"] == "tool" or not tools:
        results = [m["content"] for m in messages if m["role"] == "tool"]
        return text_response(f"Done. {' '.join(results[-3:])}".strip())
    calls = []
    for definition in tools:
        function = definition["function"]
        parameters = function.get("parameters", {})
        properties = parameters.get("properties", {})
        arguments = {
            name: _example_value(properties[name]) for name in parameters.get("required", [])
        }
        calls.append((function["name"], arguments))
    return tool_call_response(calls, id_prefix=f"call_{len(messages)}_")


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    with ScriptedServer(responder=model_like) as server:
        for name in list(os.environ):
            if name.startswith(("AGENTKIT_", "OPENAI_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("AGENTKIT_BASE_URL", server.base_url)
        monkeypatch.setenv("AGENTKIT_API_KEY", "docs-test")
        yield server


def _compile(code: str, name: str) -> types.CodeType:
    return compile(code, name, "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _is_async(code: types.CodeType) -> bool:
    return bool(code.co_flags & inspect.CO_COROUTINE)


async def _await(coroutine: Any) -> None:
    await coroutine


def _run_page(page: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType(f"docs_{page.stem.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look it up
    for number, code in enumerate(_blocks(page, "run"), start=1):
        compiled = _compile(code, f"docs/{page.name} (block {number})")
        if _is_async(compiled):
            anyio.run(_await, eval(compiled, module.__dict__), backend=backend)
        else:
            exec(compiled, module.__dict__)


def _page_runs() -> list[Any]:
    """Each page with runnable blocks, on asyncio, and on trio as well if a
    block awaits."""
    runs = []
    for page in _pages():
        blocks = [_compile(code, page.name) for code in _blocks(page, "run")]
        if not blocks:
            continue
        backends = ["asyncio", "trio"] if any(map(_is_async, blocks)) else ["asyncio"]
        runs += [pytest.param(page, backend, id=f"{page.name}-{backend}") for backend in backends]
    return runs


@pytest.mark.parametrize(("page", "backend"), _page_runs())
def test_the_runnable_blocks_of_a_page_run(
    page: Path, backend: str, endpoint: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_page(page, backend, monkeypatch)


def test_the_pytest_blocks_pass(tmp_path: Path) -> None:
    blocks = [(page, code) for page in _pages() for code in _blocks(page, "pytest")]
    assert blocks
    for number, (page, code) in enumerate(blocks):
        test_file = tmp_path / f"test_docs_block_{number}.py"
        test_file.write_text(code, encoding="utf-8")
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, f"{page.name}:\n{completed.stdout}\n{completed.stderr}"
        assert " passed" in completed.stdout


# ----------------------------------------------------------------- the build


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("griffe") is None:
        pytest.fail(
            "The docs build needs mkdocs-material and mkdocstrings[python] "
            "(install the docs extra); this test does not skip without them."
        )
    site = tmp_path / "site"
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rendered = "".join(
        path.read_text(encoding="utf-8") for path in (site / "reference").rglob("*.html")
    )
    for path in _documented_paths():
        assert f'id="{path}"' in rendered, f"{path} is not rendered"


def test_every_public_name_has_a_docstring() -> None:
    if importlib.util.find_spec("griffe") is None:
        pytest.fail("griffe (from mkdocstrings[python]) is needed; install the docs extra.")
    import griffe

    loader = griffe.GriffeLoader(search_paths=[str(ROOT)])
    package = loader.load("agentkit")
    loader.resolve_aliases(implicit=False, external=False)
    undocumented = [
        path
        for path in _public_paths()
        if path != "agentkit.__version__"
        and not package.get_member(path.split(".", 1)[1]).docstring
    ]
    assert not undocumented, f"public names without a docstring: {undocumented}"
