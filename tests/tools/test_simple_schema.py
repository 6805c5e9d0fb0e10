"""Plain-JSON signatures skip pydantic (`_simple_schema`): the same published
schemas (also strict), the same converted arguments and the same errors as
the pydantic path, for a table of signatures and arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, Optional

import pytest

from agentkit import ToolArgumentsError, ToolDefinitionError
from agentkit.tools import Tool, _function_schema
from agentkit.tools._signature import function_docstring, read_signature
from agentkit.tools._simple_schema import simple_arguments


def scalars(a: str, b: int, c: float, d: bool, e: None) -> None:
    """Every scalar.

    Args:
        a: Some text.
        c: A number.
    """


def defaults(
    text: str = "x", count: int = 3, ratio: float = 1, flag: bool = False, ratio2: float = 2.5
) -> None:
    """Defaults of every kind, an int one for a float."""


def optionals(
    a: int | None,
    b: Optional[str] = None,  # noqa: UP045 - the typing spelling, under test
    c: float | None = 2.0,
    d: None | int = None,  # noqa: RUF036 - None first, under test
) -> None:
    """Optional values.

    Args:
        b: Maybe text.
    """


def containers(
    tags: list[str],
    grid: list[list[int]],
    weights: dict[str, float] | None = None,
    nested: dict[str, list[bool]] | None = None,
) -> None:
    """Lists and dicts."""


def literals(
    unit: Literal["c", "f"],
    level: Literal[1, 2, 3] = 1,
    only: Literal["x"] = "x",
    maybe: Literal["a", "b"] | None = None,
    many: list[Literal["p", "q"]] | None = None,
) -> None:
    """Literals.

    Args:
        unit: The unit.
    """


def positional(a: int, b: float = 0.5, /, c: str = "z") -> None:
    """Positional-only parameters."""


def nothing() -> None:
    """No parameters."""


SIGNATURES: list[Callable[..., Any]] = [
    scalars,
    defaults,
    optionals,
    containers,
    literals,
    positional,
    nothing,
]

ARGUMENTS: dict[str, list[str]] = {
    "scalars": [
        '{"a": "hi", "b": 2, "c": 3, "d": true, "e": null}',
        '{"a": "hi", "b": 2.0, "c": 3.5, "d": false, "e": null}',
        '{"a": "hi", "b": 2.5, "c": "3", "d": 1, "e": 0}',
        '{"a": "hi", "b": 2, "c": 12345678901234567890123, "d": true, "e": null}',
        '{"a": "hi", "b": 123456789012345678901234567890, "c": 1e999, "d": true, "e": null}',
        '{"a": "", "b": -9007199254740993, "c": -9007199254740993, "d": true, "e": null}',
        '{"a": 1}',
        '{"a": "hi", "b": 2, "c": 3, "d": true, "e": null, "f": 1}',
    ],
    "defaults": ["{}", '{"ratio": 4, "count": 5}', '{"flag": "no"}', '{"text": null}'],
    "optionals": [
        '{"a": null}',
        '{"a": 1, "b": "x", "c": 7, "d": 3}',
        '{"a": 1.0, "c": null, "d": 2.0}',
        '{"a": "1"}',
        "{}",
    ],
    "containers": [
        '{"tags": ["a"], "grid": [[1, 2], []], "weights": {"k": 1}, "nested": {"n": [true]}}',
        '{"tags": [], "grid": [[1.0]], "weights": null}',
        '{"tags": ["a", 1], "grid": [[1.5]], "weights": {"k": "x"}}',
        '{"tags": "a", "grid": [1]}',
    ],
    "literals": [
        '{"unit": "c", "level": 2, "only": "x", "maybe": "b", "many": ["p", "q"]}',
        '{"unit": "c", "level": 2.0}',
        '{"unit": "k", "level": 4, "only": "y", "maybe": "c", "many": ["r"]}',
        '{"unit": "f", "maybe": null}',
    ],
    "positional": ['{"a": 1}', '{"a": 1, "b": 2, "c": "y"}', '{"b": 1}', '{"a": 1.0}'],
    "nothing": ["{}", "", '{"x": 1}'],
}


def _pydantic_tool(function: Callable[..., Any], strict: bool, monkeypatch: Any) -> Tool[..., Any]:
    with monkeypatch.context() as patch:
        patch.setattr(_function_schema, "simple_arguments", lambda *args: None)
        return Tool(function, strict=strict)


def _definition(make: Callable[[], Tool[..., Any]]) -> str:
    """The tool's definition as JSON text, or the message of the error
    defining it raised (a dict cannot be strict)."""
    try:
        return json.dumps(make().definition())
    except ToolDefinitionError as error:
        return f"error: {error}"


def _outcome(tool: Tool[..., Any], arguments: str) -> Any:
    try:
        values = tool.parse_arguments(arguments)
    except ToolArgumentsError as error:
        return ("error", str(error), error.errors)
    return [(name, value, type(value).__name__) for name, value in values.items()]


def _simple(function: Callable[..., Any]) -> Any:
    signature = read_signature(function, function.__name__)
    return simple_arguments(function.__name__, signature.parameters, function_docstring(function))


def test_every_signature_of_the_table_takes_the_simple_path() -> None:
    for function in SIGNATURES:
        assert _simple(function) is not None, function.__name__


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("function", SIGNATURES, ids=lambda function: function.__name__)
def test_the_schema_is_the_pydantic_one_byte_for_byte(
    function: Callable[..., Any], strict: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    simple = _definition(lambda: Tool(function, strict=strict))
    assert simple == _definition(lambda: _pydantic_tool(function, strict, monkeypatch))


# A dict cannot be strict: both paths refuse ``containers`` (the schema test checks).
CONVERSIONS = [(function, False) for function in SIGNATURES] + [
    (function, True) for function in SIGNATURES if function is not containers
]


@pytest.mark.parametrize(
    ("function", "strict"),
    CONVERSIONS,
    ids=[f"{function.__name__}-{strict}" for function, strict in CONVERSIONS],
)
def test_arguments_convert_and_fail_as_through_pydantic(
    function: Callable[..., Any], strict: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    simple = Tool(function, strict=strict)
    through_pydantic = _pydantic_tool(function, strict, monkeypatch)
    for arguments in ARGUMENTS[function.__name__]:
        expected = _outcome(through_pydantic, arguments)
        assert _outcome(simple, arguments) == expected, arguments


def test_an_int_for_a_float_becomes_a_float_and_positional_defaults_are_passed() -> None:
    assert Tool(defaults).parse_arguments('{"ratio": 4}') == {"ratio": 4.0}
    assert type(Tool(defaults).parse_arguments('{"ratio": 4}')["ratio"]) is float
    assert Tool(positional).parse_arguments('{"a": 1}') == {"a": 1, "b": 0.5}


def any_value(x: Any) -> None:
    """Any."""


def mixed_literal(x: Literal["a", 1]) -> None:
    """Mixed literal."""


def union(x: int | str) -> None:
    """A union."""


def list_default(x: list[int] = [1]) -> None:  # noqa: B006 - the case under test
    """A list default."""


def tuple_type(x: tuple[int, int]) -> None:
    """A tuple."""


def int_keys(x: dict[int, str]) -> None:
    """Int keys."""


@pytest.mark.parametrize(
    "function",
    [any_value, mixed_literal, union, list_default, tuple_type, int_keys],
    ids=lambda function: function.__name__,
)
def test_other_signatures_take_the_pydantic_path(function: Callable[..., Any]) -> None:
    assert _simple(function) is None
