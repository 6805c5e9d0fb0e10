"""Signatures -> JSON schemas: scalars, containers, unions, literals, enums,
constraints, dates, the run context. Every expected schema is written out;
every strict schema also passes the independent strict-mode checker.

Models, dataclasses and TypedDicts are in test_schema_models.py.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, Optional

import pytest
from jsonschema import Draft202012Validator
from pydantic import Field

from agentkit import ToolDefinitionError
from agentkit.tools import RunContext, Tool, tool

from .test_strict_rules import assert_openai_strict_compatible


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Deps:
    """User dependencies handed to RunContext."""


def takes_str(city: str) -> None: ...
def takes_int(count: int) -> None: ...
def takes_float(ratio: float) -> None: ...
def takes_bool(flag: bool) -> None: ...
def takes_none(nothing: None) -> None: ...
def takes_list(items: list[str]) -> None: ...
def takes_bare_list(items: list) -> None: ...  # type: ignore[type-arg]
def takes_tuple(pair: tuple[int, str]) -> None: ...
def takes_variadic_tuple(values: tuple[float, ...]) -> None: ...
def takes_set(tags: set[str]) -> None: ...
def takes_dict(scores: dict[str, int]) -> None: ...
def takes_bare_dict(data: dict) -> None: ...  # type: ignore[type-arg]
def takes_optional(note: Optional[str]) -> None: ...  # noqa: UP045 - the spelling under test
def takes_pipe_none_default(note: str | None = None) -> None: ...
def takes_union(value: int | str) -> None: ...
def takes_literal(unit: Literal["C", "F"] = "C") -> None: ...
def takes_single_literal(mode: Literal["fast"]) -> None: ...
def takes_enum(color: Color) -> None: ...
def takes_int_enum_default(level: Priority = Priority.LOW) -> None: ...
def takes_defaults(city: str, days: int = 3, metric: bool = True) -> None: ...
def takes_annotated_field(
    days: Annotated[int, Field(ge=1, le=14, description="Forecast length in days.")],
) -> None: ...
def takes_constrained_str(
    name: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z]+$")],
) -> None: ...
def takes_dates(
    when: datetime.datetime,
    day: datetime.date,
    at: datetime.time,
    ident: uuid.UUID,
    span: datetime.timedelta,
) -> None: ...
def takes_context(ctx: RunContext, city: str) -> None: ...  # type: ignore[type-arg]
def takes_typed_context(city: str, ctx: RunContext[Deps]) -> None: ...
def takes_nothing() -> None: ...
def takes_any(payload: Any) -> None: ...
def takes_matrix(matrix: list[list[int]]) -> None: ...
def takes_field_default(limit: int = Field(10, ge=1, description="Max rows.")) -> None: ...
def takes_odd_names(json: str, model_config: int, _private: bool = False) -> None: ...
def takes_every_kind(a: int, /, b: str, *, c: bool = False) -> None: ...


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


SCHEMAS: list[Any] = [
    pytest.param(
        takes_str,
        {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        id="str",
    ),
    pytest.param(
        takes_int,
        {
            "type": "object",
            "properties": {"count": {"type": "integer"}},
            "required": ["count"],
            "additionalProperties": False,
        },
        id="int",
    ),
    pytest.param(
        takes_float,
        {
            "type": "object",
            "properties": {"ratio": {"type": "number"}},
            "required": ["ratio"],
            "additionalProperties": False,
        },
        id="float",
    ),
    pytest.param(
        takes_bool,
        {
            "type": "object",
            "properties": {"flag": {"type": "boolean"}},
            "required": ["flag"],
            "additionalProperties": False,
        },
        id="bool",
    ),
    pytest.param(
        takes_none,
        {
            "type": "object",
            "properties": {"nothing": {"type": "null"}},
            "required": ["nothing"],
            "additionalProperties": False,
        },
        id="None",
    ),
    pytest.param(
        takes_list,
        {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "string"}}},
            "required": ["items"],
            "additionalProperties": False,
        },
        id="list[str]",
    ),
    pytest.param(
        takes_bare_list,
        {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {}}},
            "required": ["items"],
            "additionalProperties": False,
        },
        id="bare list",
    ),
    pytest.param(
        takes_tuple,
        {
            "type": "object",
            "properties": {
                "pair": {
                    "type": "array",
                    "prefixItems": [{"type": "integer"}, {"type": "string"}],
                    "minItems": 2,
                    "maxItems": 2,
                }
            },
            "required": ["pair"],
            "additionalProperties": False,
        },
        id="tuple[int, str]",
    ),
    pytest.param(
        takes_variadic_tuple,
        {
            "type": "object",
            "properties": {"values": {"type": "array", "items": {"type": "number"}}},
            "required": ["values"],
            "additionalProperties": False,
        },
        id="tuple[float, ...]",
    ),
    pytest.param(
        takes_set,
        {
            "type": "object",
            "properties": {
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
            },
            "required": ["tags"],
            "additionalProperties": False,
        },
        id="set[str]",
    ),
    pytest.param(
        takes_dict,
        {
            "type": "object",
            "properties": {
                "scores": {"type": "object", "additionalProperties": {"type": "integer"}}
            },
            "required": ["scores"],
            "additionalProperties": False,
        },
        id="dict[str, int]",
    ),
    pytest.param(
        takes_bare_dict,
        {
            "type": "object",
            "properties": {"data": {"type": "object", "additionalProperties": True}},
            "required": ["data"],
            "additionalProperties": False,
        },
        id="bare dict",
    ),
    pytest.param(
        takes_optional,
        {
            "type": "object",
            "properties": {"note": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "required": ["note"],
            "additionalProperties": False,
        },
        id="Optional[str]",
    ),
    pytest.param(
        takes_pipe_none_default,
        {
            "type": "object",
            "properties": {
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
            },
            "required": [],
            "additionalProperties": False,
        },
        id="str | None = None",
    ),
    pytest.param(
        takes_union,
        {
            "type": "object",
            "properties": {"value": {"anyOf": [{"type": "integer"}, {"type": "string"}]}},
            "required": ["value"],
            "additionalProperties": False,
        },
        id="int | str",
    ),
    pytest.param(
        takes_literal,
        {
            "type": "object",
            "properties": {"unit": {"type": "string", "enum": ["C", "F"], "default": "C"}},
            "required": [],
            "additionalProperties": False,
        },
        id="Literal with default",
    ),
    pytest.param(
        takes_single_literal,
        {
            "type": "object",
            "properties": {"mode": {"type": "string", "const": "fast"}},
            "required": ["mode"],
            "additionalProperties": False,
        },
        id="single Literal",
    ),
    pytest.param(
        takes_enum,
        {
            "type": "object",
            "properties": {"color": {"$ref": "#/$defs/Color"}},
            "required": ["color"],
            "additionalProperties": False,
            "$defs": {"Color": {"type": "string", "enum": ["red", "green"]}},
        },
        id="Enum",
    ),
    pytest.param(
        takes_int_enum_default,
        {
            "type": "object",
            "properties": {"level": {"anyOf": [{"$ref": "#/$defs/Priority"}], "default": 1}},
            "required": [],
            "additionalProperties": False,
            "$defs": {"Priority": {"type": "integer", "enum": [1, 2]}},
        },
        id="IntEnum with default",
    ),
    pytest.param(
        takes_defaults,
        {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer", "default": 3},
                "metric": {"type": "boolean", "default": True},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
        id="defaults",
    ),
    pytest.param(
        takes_annotated_field,
        {
            "type": "object",
            "properties": {
                "days": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 14,
                    "description": "Forecast length in days.",
                }
            },
            "required": ["days"],
            "additionalProperties": False,
        },
        id="Annotated Field",
    ),
    pytest.param(
        takes_constrained_str,
        {
            "type": "object",
            "properties": {
                "name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 20,
                    "pattern": "^[a-z]+$",
                }
            },
            "required": ["name"],
            "additionalProperties": False,
        },
        id="constrained str",
    ),
    pytest.param(
        takes_dates,
        {
            "type": "object",
            "properties": {
                "when": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "at": {"type": "string", "format": "time"},
                "ident": {"type": "string", "format": "uuid"},
                "span": {"type": "string", "format": "duration"},
            },
            "required": ["when", "day", "at", "ident", "span"],
            "additionalProperties": False,
        },
        id="datetime date time UUID timedelta",
    ),
    pytest.param(
        takes_context,
        {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        id="RunContext",
    ),
    pytest.param(
        takes_typed_context,
        {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        id="RunContext[Deps]",
    ),
    pytest.param(
        takes_nothing,
        {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
        id="no parameters",
    ),
    pytest.param(
        takes_any,
        {
            "type": "object",
            "properties": {"payload": {}},
            "required": ["payload"],
            "additionalProperties": False,
        },
        id="Any",
    ),
    pytest.param(
        takes_matrix,
        {
            "type": "object",
            "properties": {
                "matrix": {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "integer"}},
                }
            },
            "required": ["matrix"],
            "additionalProperties": False,
        },
        id="list[list[int]]",
    ),
    pytest.param(
        takes_field_default,
        {
            "type": "object",
            "properties": {
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "default": 10,
                    "description": "Max rows.",
                }
            },
            "required": [],
            "additionalProperties": False,
        },
        id="= Field(default)",
    ),
    pytest.param(
        takes_odd_names,
        {
            "type": "object",
            "properties": {
                "json": {"type": "string"},
                "model_config": {"type": "integer"},
                "_private": {"type": "boolean", "default": False},
            },
            "required": ["json", "model_config"],
            "additionalProperties": False,
        },
        id="names that clash with pydantic",
    ),
    pytest.param(
        takes_every_kind,
        {
            "type": "object",
            "properties": {
                "a": {"type": "integer"},
                "b": {"type": "string"},
                "c": {"type": "boolean", "default": False},
            },
            "required": ["a", "b"],
            "additionalProperties": False,
        },
        id="positional-only and keyword-only",
    ),
]


@pytest.mark.parametrize(("function", "expected"), SCHEMAS)
def test_schema_from_signature(function: Callable[..., Any], expected: dict[str, Any]) -> None:
    parameters = tool(function).parameters
    assert parameters == expected
    Draft202012Validator.check_schema(parameters)


STRICT_SCHEMAS: list[Any] = [
    pytest.param(
        takes_str,
        {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        id="str",
    ),
    pytest.param(
        takes_none,
        {
            "type": "object",
            "properties": {"nothing": {"type": "null"}},
            "required": ["nothing"],
            "additionalProperties": False,
        },
        id="None",
    ),
    pytest.param(
        takes_variadic_tuple,
        {
            "type": "object",
            "properties": {"values": {"type": "array", "items": {"type": "number"}}},
            "required": ["values"],
            "additionalProperties": False,
        },
        id="tuple[float, ...]",
    ),
    pytest.param(
        takes_set,
        {
            "type": "object",
            "properties": {
                "tags": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "(uniqueItems=true)",
                }
            },
            "required": ["tags"],
            "additionalProperties": False,
        },
        id="set[str]: uniqueItems moves to the description",
    ),
    pytest.param(
        takes_optional,
        {
            "type": "object",
            "properties": {"note": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "required": ["note"],
            "additionalProperties": False,
        },
        id="Optional[str]",
    ),
    pytest.param(
        takes_pipe_none_default,
        {
            "type": "object",
            "properties": {"note": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "required": ["note"],
            "additionalProperties": False,
        },
        id="str | None = None: required, no default",
    ),
    pytest.param(
        takes_union,
        {
            "type": "object",
            "properties": {"value": {"anyOf": [{"type": "integer"}, {"type": "string"}]}},
            "required": ["value"],
            "additionalProperties": False,
        },
        id="int | str",
    ),
    pytest.param(
        takes_literal,
        {
            "type": "object",
            "properties": {
                "unit": {"anyOf": [{"type": "string", "enum": ["C", "F"]}, {"type": "null"}]}
            },
            "required": ["unit"],
            "additionalProperties": False,
        },
        id="Literal with default: nullable",
    ),
    pytest.param(
        takes_single_literal,
        {
            "type": "object",
            "properties": {"mode": {"type": "string", "enum": ["fast"]}},
            "required": ["mode"],
            "additionalProperties": False,
        },
        id="single Literal: enum",
    ),
    pytest.param(
        takes_enum,
        {
            "type": "object",
            "properties": {"color": {"$ref": "#/$defs/Color"}},
            "required": ["color"],
            "additionalProperties": False,
            "$defs": {"Color": {"type": "string", "enum": ["red", "green"]}},
        },
        id="Enum",
    ),
    pytest.param(
        takes_int_enum_default,
        {
            "type": "object",
            "properties": {"level": {"anyOf": [{"$ref": "#/$defs/Priority"}, {"type": "null"}]}},
            "required": ["level"],
            "additionalProperties": False,
            "$defs": {"Priority": {"type": "integer", "enum": [1, 2]}},
        },
        id="IntEnum with default",
    ),
    pytest.param(
        takes_defaults,
        {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "metric": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
            },
            "required": ["city", "days", "metric"],
            "additionalProperties": False,
        },
        id="defaults",
    ),
    pytest.param(
        takes_annotated_field,
        {
            "type": "object",
            "properties": {
                "days": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 14,
                    "description": "Forecast length in days.",
                }
            },
            "required": ["days"],
            "additionalProperties": False,
        },
        id="Annotated Field: minimum/maximum are supported",
    ),
    pytest.param(
        takes_constrained_str,
        {
            "type": "object",
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": "^[a-z]+$",
                    "description": "(minLength=1, maxLength=20)",
                }
            },
            "required": ["name"],
            "additionalProperties": False,
        },
        id="constrained str: lengths move to the description",
    ),
    pytest.param(
        takes_dates,
        {
            "type": "object",
            "properties": {
                "when": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "at": {"type": "string", "format": "time"},
                "ident": {"type": "string", "format": "uuid"},
                "span": {"type": "string", "format": "duration"},
            },
            "required": ["when", "day", "at", "ident", "span"],
            "additionalProperties": False,
        },
        id="dates: documented formats stay",
    ),
    pytest.param(
        takes_typed_context,
        {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        id="RunContext[Deps]",
    ),
    pytest.param(
        takes_nothing,
        {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
        id="no parameters",
    ),
    pytest.param(
        takes_matrix,
        {
            "type": "object",
            "properties": {
                "matrix": {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "integer"}},
                }
            },
            "required": ["matrix"],
            "additionalProperties": False,
        },
        id="list[list[int]]",
    ),
    pytest.param(
        takes_field_default,
        {
            "type": "object",
            "properties": {
                "limit": {
                    "anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}],
                    "description": "Max rows.",
                }
            },
            "required": ["limit"],
            "additionalProperties": False,
        },
        id="= Field(default): the description stays outside the union",
    ),
    pytest.param(
        takes_every_kind,
        {
            "type": "object",
            "properties": {
                "a": {"type": "integer"},
                "b": {"type": "string"},
                "c": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
            },
            "required": ["a", "b", "c"],
            "additionalProperties": False,
        },
        id="positional-only and keyword-only",
    ),
]


@pytest.mark.parametrize(("function", "expected"), STRICT_SCHEMAS)
def test_strict_schema_from_signature(
    function: Callable[..., Any], expected: dict[str, Any]
) -> None:
    strict_tool = tool(strict=True)(function)
    assert strict_tool.parameters == expected
    assert_openai_strict_compatible(strict_tool.parameters)
    Draft202012Validator.check_schema(strict_tool.parameters)
    assert strict_tool.definition()["function"]["strict"] is True


@pytest.mark.parametrize(
    ("function", "pointer"),
    [
        (takes_bare_list, "#/properties/items/items"),
        (takes_tuple, "#/properties/pair"),
        (takes_dict, "#/properties/scores"),
        (takes_bare_dict, "#/properties/data"),
        (takes_any, "#/properties/payload"),
    ],
)
def test_strict_mode_rejects_what_it_cannot_express(
    function: Callable[..., Any], pointer: str
) -> None:
    with pytest.raises(ToolDefinitionError, match="cannot be strict") as caught:
        Tool(function, strict=True)
    assert pointer in str(caught.value)
    assert "strict=False" in str(caught.value)


def test_the_root_keys_come_in_reading_order() -> None:
    assert list(tool(takes_enum).parameters) == [
        "type",
        "properties",
        "required",
        "additionalProperties",
        "$defs",
    ]


def test_a_property_named_like_a_keyword_is_kept() -> None:
    def takes_keyword_names(title: str, default: int, type: str) -> None: ...

    assert tool(takes_keyword_names).parameters == _object(
        {"title": {"type": "string"}, "default": {"type": "integer"}, "type": {"type": "string"}},
        ["title", "default", "type"],
    )


def test_a_default_that_is_not_json_is_left_out_of_the_schema() -> None:
    sentinel = object()

    def takes_sentinel(value: Optional[int] = sentinel) -> None: ...  # type: ignore[assignment]  # noqa: UP045

    assert tool(takes_sentinel).parameters == _object(
        {"value": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}, []
    )
