"""The docs site: complete, runnable, and buildable.

- Every public name (``agentkit.__all__``, ``agentkit.tools.__all__``,
  ``agentkit.testing.__all__``, ``agentkit.ui.__all__``,
  ``agentkit.mcp.__all__``) is in a
  mkdocstrings directive of a ``docs/reference/*.md`` page (``::: agentkit.Name``,
  or a name listed under a directive's ``members:`` option).
- Every Python block of README.md and of every docs page is marked, on the
  line before its fence (an HTML comment, invisible on the site):

  - ``<!-- test: run -->``: the blocks of a page run in order, in one
    namespace, with ``AGENTKIT_BASE_URL`` pointing at agentkit's
    `ToolCallingModel` stand-in (it calls every tool offered, then answers
    with the results). Top-level ``await``/``async with`` is allowed: such a
    block runs in an event loop of its own, once on asyncio and once on trio.
  - ``<!-- test: pytest -->``: the block is a test module, run by pytest in a
    fresh interpreter.
  - ``<!-- test: skip: REASON -->``: not runnable, for the reason given.

  ``docs/tools.md`` is run by ``tests/tools/test_examples.py`` instead (every
  block). The parsing rules are in ``tests/_doc_blocks.py``.
- ``mkdocs build --strict`` succeeds. It needs the docs dependencies
  (mkdocs-material, mkdocstrings[python]); without them the test fails, it
  does not skip.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import logging
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
import structlog
from _doc_blocks import ROOT, RUN_ELSEWHERE, Block, blocks, marker_count, pages, relative

import agentkit
import agentkit.mcp
import agentkit.otel
import agentkit.testing
import agentkit.tools
import agentkit.ui
from agentkit.testing import ToolCallingModel

DOCS = ROOT / "docs"
PUBLIC_MODULES = (
    agentkit,
    agentkit.tools,
    agentkit.testing,
    agentkit.ui,
    agentkit.otel,
    agentkit.mcp,
)
DIRECTIVE = re.compile(r"^::: ([\w.]+)[ \t]*$((?:\n[ \t]+\S.*)*)", re.MULTILINE)
MEMBER = re.compile(r"^[ \t]+- ([\w]+)[ \t]*$", re.MULTILINE)


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


def _page_ids(page: Path) -> str:
    return relative(page)


def marking_problems(page: Path, name: str) -> list[str]:
    """What is wrong with the test markers of ``page`` (named ``name``)."""
    found = blocks(page)
    python = [block for block in found if block.is_python]
    if name in RUN_ELSEWHERE:
        # The other test finds its blocks with r"```python\n(.*?)```".
        return [
            f"{block.where}: write the fence as ```python at the line start"
            for block in python
            if block.fence != "```python"
        ]
    problems = [
        f"{block.where}: no <!-- test: run -->, <!-- test: pytest --> or "
        "<!-- test: skip: REASON --> on the line before"
        for block in python
        if block.kind is None
    ]
    problems += [
        f"{block.where}: a skip marker needs a reason"
        for block in python
        if block.kind == "skip" and not block.reason
    ]
    marked = [block for block in found if block.kind is not None]
    problems += [
        f"{block.where}: a marker on a non-Python block" for block in marked if not block.is_python
    ]
    if marker_count(page) != len(marked):
        problems.append(f"{name}: a marker is not on the line before a fence")
    return problems


@pytest.mark.parametrize("page", pages(), ids=_page_ids)
def test_every_python_block_is_marked(page: Path) -> None:
    """No Python block of any page can be left out silently: each is run,
    run by pytest, or skipped with a reason (see tests/_doc_blocks.py)."""
    assert marking_problems(page, relative(page)) == []


def test_the_marking_rules_catch_every_way_to_miss_a_block(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- test: run -->\n```python\nok = 1\n```\n\n"
        "```py\nunmarked = 1\n```\n\n"
        "!!! note\n    ```python\n    indented = 1\n    ```\n\n"
        "~~~python3\ntilde = 1\n~~~\n\n"
        "<!-- test: skip -->\n```python\nno_reason = 1\n```\n\n"
        "<!-- test: skip: needs a GPU -->\n```python\nfine = 1\n```\n\n"
        "<!-- test: run -->\n```bash\necho not python\n```\n\n"
        "<!-- test: run -->\n\n```python\nafter_a_blank_line = 1\n```\n",
        encoding="utf-8",
    )
    assert marking_problems(page, "page.md") == [
        "page.md:6: no <!-- test: run -->, <!-- test: pytest --> or "
        "<!-- test: skip: REASON --> on the line before",
        "page.md:11: no <!-- test: run -->, <!-- test: pytest --> or "
        "<!-- test: skip: REASON --> on the line before",
        "page.md:15: no <!-- test: run -->, <!-- test: pytest --> or "
        "<!-- test: skip: REASON --> on the line before",
        "page.md:36: no <!-- test: run -->, <!-- test: pytest --> or "
        "<!-- test: skip: REASON --> on the line before",
        "page.md:20: a skip marker needs a reason",
        "page.md:30: a marker on a non-Python block",
        "page.md: a marker is not on the line before a fence",
    ]
    runnable = [block.code for block in blocks(page) if block.kind == "run" and block.is_python]
    assert runnable == ["ok = 1\n"]
    assert blocks(page)[2].code == "indented = 1\n"  # dedented


def _runnable(page: Path, kind: str) -> list[Block]:
    if relative(page) in RUN_ELSEWHERE:
        return []
    return [block for block in blocks(page) if block.is_python and block.kind == kind]


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[ToolCallingModel]:
    """The environment's endpoint: agentkit's tool-calling stand-in, which
    calls every tool offered with arguments made from its schema, then
    answers with their results. The process's logging configuration, which
    the logging examples change, is restored afterwards."""
    stand_in = ToolCallingModel()
    with stand_in:
        for name in list(os.environ):
            if name.startswith(("AGENTKIT_", "OPENAI_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("AGENTKIT_BASE_URL", stand_in.base_url)
        monkeypatch.setenv("AGENTKIT_API_KEY", "docs-test")
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            yield stand_in
        finally:
            root.handlers[:], root.level = handlers, level
            structlog.reset_defaults()


def _compile(block: Block, number: int) -> types.CodeType:
    name = f"{block.where} (block {number})"
    return compile(block.code, name, "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _is_async(code: types.CodeType) -> bool:
    return bool(code.co_flags & inspect.CO_COROUTINE)


async def _await(coroutine: Any) -> None:
    await coroutine


def _run_page(page: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType(f"docs_{page.stem.replace('-', '_').lower()}")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look it up
    for number, block in enumerate(_runnable(page, "run"), start=1):
        compiled = _compile(block, number)
        if _is_async(compiled):
            anyio.run(_await, eval(compiled, module.__dict__), backend=backend)
        else:
            exec(compiled, module.__dict__)


def _page_runs() -> list[Any]:
    """Each page with runnable blocks, on asyncio, and on trio as well if a
    block awaits."""
    runs = []
    for page in pages():
        compiled = [_compile(block, 0) for block in _runnable(page, "run")]
        if not compiled:
            continue
        backends = ["asyncio", "trio"] if any(map(_is_async, compiled)) else ["asyncio"]
        runs += [
            pytest.param(page, backend, id=f"{relative(page)}-{backend}") for backend in backends
        ]
    return runs


@pytest.mark.parametrize(("page", "backend"), _page_runs())
def test_the_runnable_blocks_of_a_page_run(
    page: Path, backend: str, endpoint: ToolCallingModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_page(page, backend, monkeypatch)


def test_the_readme_and_every_page_with_python_is_run() -> None:
    run = {param.values[0] for param in _page_runs()}
    with_python = {page for page in pages() if any(block.is_python for block in blocks(page))}
    elsewhere = {ROOT / name for name in RUN_ELSEWHERE}
    pytest_only = {page for page in pages() if _runnable(page, "pytest")}
    assert ROOT / "README.md" in run
    assert with_python - run - elsewhere - pytest_only == set()


def test_the_pytest_blocks_pass(tmp_path: Path) -> None:
    found = [block for page in pages() for block in _runnable(page, "pytest")]
    assert found
    for number, block in enumerate(found):
        test_file = tmp_path / f"test_docs_block_{number}.py"
        test_file.write_text(block.code, encoding="utf-8")
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, f"{block.where}:\n{completed.stdout}\n{completed.stderr}"
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
