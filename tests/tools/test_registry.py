"""The public API: the tool decorator, Tool objects, ToolRegistry, and the
definitions compared with the format the OpenAI API documents."""

from __future__ import annotations

import io
from typing import Any, Literal

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from agentkit import ToolDefinitionError, UnknownToolError
from agentkit.tools import RunContext, Tool, ToolOutcome, ToolRegistry, tool

CONTEXT: RunContext[None] = RunContext(deps=None)


@tool
def get_weather(location: str) -> str:
    """Get current temperature for a given location.

    Args:
        location: City and country e.g. Bogotá, Colombia
    """
    return f"31°C in {location}"


def add(a: int, b: int = 1) -> int:
    """Add two numbers."""
    return a + b


# ------------------------------------------------------------------ the tool


def test_a_decorated_function_is_still_a_function() -> None:
    assert isinstance(get_weather, Tool)
    assert get_weather("Hanoi") == "31°C in Hanoi"
    assert get_weather.__name__ == "get_weather"
    assert get_weather.__doc__ is not None
    assert get_weather.__doc__.startswith("Get current temperature")
    assert get_weather.__wrapped__ is get_weather.function


@pytest.mark.anyio
async def test_an_async_tool_called_directly_returns_its_coroutine() -> None:
    @tool(name="ping", description="Ping.", strict=True, timeout=5.0, eager=False)
    async def other(host: str) -> str:
        return f"pong {host}"

    assert await other("a") == "pong a"
    assert (other.name, other.description, other.strict, other.timeout, other.eager) == (
        "ping",
        "Ping.",
        True,
        5.0,
        False,
    )


def test_default_options() -> None:
    assert (get_weather.strict, get_weather.timeout, get_weather.eager) == (False, None, True)
    assert repr(get_weather) == "Tool(name='get_weather', strict=False, timeout=None)"


def test_parameters_is_a_copy() -> None:
    get_weather.parameters["properties"].clear()
    assert "location" in get_weather.parameters["properties"]


# ------------------------------------------- definitions vs the OpenAI format

# The example of OpenAI's function calling guide (Chat Completions tab).
OPENAI_DOCUMENTED_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get current temperature for a given location.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {
                    "type": "string",
                    "description": "City and country e.g. Bogotá, Colombia",
                }
            },
            "required": ["location"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}

# ChatCompletionTool / FunctionDefinition from the OpenAI API reference.
CHAT_COMPLETION_TOOL = {
    "type": "object",
    "properties": {
        "type": {"const": "function"},
        "function": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
                "description": {"type": "string"},
                "parameters": {"type": "object"},
                "strict": {"type": "boolean"},
            },
            "required": ["name"],
            "additionalProperties": False,
        },
    },
    "required": ["type", "function"],
    "additionalProperties": False,
}


def test_a_strict_tool_matches_the_documented_example_exactly() -> None:
    documented = tool(strict=True)(get_weather.function)
    assert documented.definition() == OPENAI_DOCUMENTED_TOOL


def test_a_default_tool_matches_the_example_without_strict() -> None:
    expected = {
        "type": "function",
        "function": {
            key: value
            for key, value in OPENAI_DOCUMENTED_TOOL["function"].items()  # type: ignore[attr-defined]
            if key != "strict"
        },
    }
    assert get_weather.definition() == expected


def test_definitions_follow_the_api_reference_shape() -> None:
    registry = ToolRegistry([get_weather, add, Tool(add, name="add_strict", strict=True)])
    validator = Draft202012Validator(CHAT_COMPLETION_TOOL)
    for definition in registry.definitions():
        validator.validate(definition)
        Draft202012Validator.check_schema(definition["function"]["parameters"])


# ------------------------------------------------------------------ registry


def test_a_registry_accepts_tools_and_plain_functions() -> None:
    ready = Tool(add, name="add_numbers")
    registry = ToolRegistry([get_weather, add, ready])

    assert registry.names == ["get_weather", "add", "add_numbers"]
    assert len(registry) == 3
    assert "add" in registry
    assert "subtract" not in registry
    assert registry.get("add_numbers") is ready
    assert registry.get("subtract") is None
    assert all(isinstance(item, Tool) for item in registry)
    assert [item.name for item in registry] == registry.names
    assert repr(registry) == "ToolRegistry(['get_weather', 'add', 'add_numbers'])"


def test_definitions_are_in_registration_order() -> None:
    registry = ToolRegistry([add, get_weather])
    assert registry.definitions() == [
        {
            "type": "function",
            "function": {
                "name": "add",
                "description": "Add two numbers.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "integer"},
                        "b": {"type": "integer", "default": 1},
                    },
                    "required": ["a"],
                    "additionalProperties": False,
                },
            },
        },
        get_weather.definition(),
    ]


def test_the_registry_decorator_bare_and_with_options() -> None:
    registry = ToolRegistry()

    @registry.tool
    def first(x: int) -> int:
        return x

    @registry.tool(name="second_tool", strict=True, timeout=1)
    def second(flag: Literal["on", "off"]) -> str:
        return flag

    assert isinstance(first, Tool)
    assert first(3) == 3
    assert registry.get("first") is first
    assert registry.get("second_tool") is second
    assert second.strict
    assert second.timeout == 1.0


def test_add_returns_the_tool_and_remove_unregisters_it() -> None:
    registry = ToolRegistry()
    added = registry.add(add)
    assert isinstance(added, Tool)
    assert registry.add(get_weather) is get_weather
    assert registry.remove("add") is added
    assert registry.names == ["get_weather"]


@pytest.mark.parametrize(
    "build",
    [
        lambda: ToolRegistry([add, add]),
        lambda: ToolRegistry([add, Tool(get_weather.function, name="add")]),
        lambda: ToolRegistry([add]).tool(name="add")(get_weather.function),
    ],
    ids=["two functions", "a tool renamed", "the decorator"],
)
def test_duplicate_names_are_rejected(build: Any) -> None:
    with pytest.raises(ToolDefinitionError, match="already registered"):
        build()


# ---------------------------------------------------------------- execution


@pytest.mark.anyio
async def test_execute_runs_the_named_tool() -> None:
    registry = ToolRegistry([add])
    assert await registry.execute("add", '{"a": 2, "b": 3}', CONTEXT) == ToolOutcome(
        output="5", value=5
    )


@pytest.mark.anyio
async def test_an_unknown_tool_tells_the_model_which_tools_exist() -> None:
    registry = ToolRegistry([add, get_weather])
    outcome = await registry.execute("get_wether", "{}", CONTEXT)

    assert outcome.is_error
    assert isinstance(outcome.error, UnknownToolError)
    assert outcome.error.tool_name == "get_wether"
    assert outcome.error.available == ["add", "get_weather"]
    assert outcome.output == (
        "There is no tool named 'get_wether'. Available tools: add, get_weather. "
        "Call one of these by its exact name."
    )


@pytest.mark.anyio
async def test_an_unknown_tool_in_an_empty_registry() -> None:
    outcome = await ToolRegistry().execute("anything", "{}", CONTEXT)
    assert "Available tools: none." in outcome.output


class Greet(BaseModel):
    """Say hello."""

    name: str


def greet(request: Greet, ctx: RunContext[str]) -> str:
    return f"{ctx.deps}, {request.name}"


@pytest.mark.anyio
async def test_dynamic_and_model_tools_execute_through_the_registry() -> None:
    registry = ToolRegistry(
        [
            Tool.from_schema(
                lambda **kwargs: sorted(kwargs),
                name="keys",
                parameters={"type": "object", "properties": {"a": {}, "b": {}}},
            ),
            Tool.from_model(Greet, greet),
        ]
    )
    context = RunContext(deps="Hello")
    assert (await registry.execute("keys", '{"b": 1, "a": 2}', context)).output == '["a","b"]'
    assert (await registry.execute("greet", '{"name": "Lan"}', context)).output == "Hello, Lan"


# ------------------------------------------------------ definition-time errors


def _args(*values: int) -> None: ...
def _kwargs(**values: int) -> None: ...
def _unannotated(city) -> None: ...  # type: ignore[no-untyped-def]
def _unresolvable(city: NoSuchType) -> None: ...  # type: ignore[name-defined]  # noqa: F821


class _Unsupported:
    """A class pydantic has no schema for."""


def _unsupported(thing: _Unsupported) -> None: ...


@pytest.mark.parametrize(
    ("function", "complaint"),
    [
        (_args, r"takes \*values"),
        (_kwargs, r"takes \*\*values"),
        (_unannotated, "Parameter 'city' of tool '_unannotated' has no type annotation"),
        (_unsupported, "Parameter 'thing' of tool '_unsupported' has type _Unsupported"),
        (_unresolvable, "'NoSuchType' of parameter 'city'"),
    ],
)
def test_unusable_signatures_are_rejected_at_decoration_time(function: Any, complaint: str) -> None:
    with pytest.raises(ToolDefinitionError, match=complaint):
        tool(function)


def test_a_file_handle_parameter_is_rejected() -> None:
    def read(handle: io.TextIOWrapper) -> None: ...

    with pytest.raises(ToolDefinitionError, match="Parameter 'handle' of tool 'read'"):
        tool(read)


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "émoji", "a.b", 3])
def test_names_providers_reject_are_rejected(name: Any) -> None:
    with pytest.raises(ToolDefinitionError, match="not accepted by providers"):
        Tool(add, name=name)


@pytest.mark.parametrize("name", ["a", "get_weather", "Get-Weather-2", "x" * 64])
def test_names_providers_accept(name: str) -> None:
    assert Tool(add, name=name).name == name


def test_a_local_type_under_postponed_annotations_gets_a_clear_error() -> None:
    class Local(BaseModel):
        x: int

    def uses_local(value: Local) -> None: ...

    with pytest.raises(ToolDefinitionError, match="Define or import the type at module level"):
        tool(uses_local)


def test_a_lambda_needs_a_name() -> None:
    with pytest.raises(ToolDefinitionError, match="not accepted by providers"):
        tool(lambda: None)
    assert Tool(lambda: None, name="noop").name == "noop"


class Inventory:
    def __init__(self) -> None:
        self.stock = {"tea": 3}

    def count(self, item: str) -> int:
        """Count an item in stock."""
        return self.stock.get(item, 0)


def test_a_method_gets_a_hint_and_a_bound_method_works() -> None:
    with pytest.raises(ToolDefinitionError, match=r"looks like a method.*instance\.method"):
        tool(Inventory.count)
    count = ToolRegistry().add(Inventory().count)
    assert count.name == "count"
    assert count.parameters["properties"] == {"item": {"type": "string"}}
    assert count("tea") == 3


def test_decorating_a_tool_again_wraps_the_same_function() -> None:
    again = tool(name="weather_again", strict=True)(get_weather)
    assert again.function is get_weather.function
    assert again("Hue") == "31°C in Hue"
