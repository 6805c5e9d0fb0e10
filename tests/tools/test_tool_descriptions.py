"""A tool without a description warns once (`ToolDefinitionWarning`), and is
raised as a `ToolDefinitionError` where warnings are errors."""

from __future__ import annotations

import warnings

import pytest
from pydantic import BaseModel

from agentkit import Agent, AgentkitError, ToolDefinitionError, ToolDefinitionWarning, tool
from agentkit.tools import Tool


def undocumented(city: str) -> str:
    return city


def test_a_function_without_a_docstring_warns_naming_the_tool_and_the_fix() -> None:
    with pytest.warns(ToolDefinitionWarning) as caught:
        defined = tool(undocumented)
    assert defined.description == ""
    (warning,) = caught.list
    assert str(warning.message) == (
        "Tool 'undocumented' has no description: its function has no docstring. The model "
        "reads the description to decide when to call a tool; add a docstring, or pass "
        "description=."
    )
    assert warning.filename == __file__  # points at the code that defined the tool


def test_a_model_without_a_docstring_warns_too() -> None:
    class Lookup(BaseModel):
        order_id: int

    with pytest.warns(ToolDefinitionWarning, match="Lookup has no docstring"):
        Tool.from_model(Lookup, lambda lookup: lookup.order_id)


def test_a_description_or_a_docstring_means_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tool(description="Echo a city.")(undocumented)

        @tool
        def documented(city: str) -> str:
            """Echo a city."""
            return city


def test_warned_once_per_tool_under_the_default_filters() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            Agent("m", tools=[undocumented])  # a plain function becomes a tool each time
    assert len(caught) == 1


def test_where_warnings_are_errors_it_is_a_tool_definition_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ToolDefinitionError, match="no description") as caught:
            tool(undocumented)
    assert isinstance(caught.value, AgentkitError)
    assert isinstance(caught.value, UserWarning)
