"""The tools docs page and example run as written."""

from __future__ import annotations

import re
import runpy
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_showcase_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "tools_showcase.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert '"name": "search_orders"' in out
    assert "get_weather" in out
    assert "31°C, humid in Hanoi" in out
    assert '- $.unit: "K" is not one of ["C", "F"]' in out
    assert "Tool 'divide' failed: ZeroDivisionError: float division by zero" in out
    assert "There is no tool named 'get_wether'" in out


def test_the_python_blocks_of_the_tools_page_run_in_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) >= 10
    module = types.ModuleType("docs_tools")  # dataclasses look their module up
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for block in blocks:
        exec(compile(block, "docs/tools.md", "exec"), module.__dict__)
    printed = capsys.readouterr().out
    shown = re.search(r"```text\n(Invalid arguments.*?)```", page, flags=re.DOTALL)
    assert shown is not None
    assert printed == shown.group(1)
