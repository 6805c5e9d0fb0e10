"""The tools tests define tools from bare, undocumented functions on purpose
(the schema is what they check), so the `ToolDefinitionWarning` for a
missing description is expected here; test_docstrings.py checks it."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    expected = pytest.mark.filterwarnings("ignore::agentkit.ToolDefinitionWarning")
    for item in items:
        if item.path.parent == HERE:
            item.add_marker(expected)
