"""The arguments a stand-in model makes up are valid: against every schema
the tools tests define (plain and strict), and against hand-written schemas
using each keyword a tool schema may carry. Checked with jsonschema (formats
included) and, for real tools, by the tool's own validation and pydantic
conversion."""

from __future__ import annotations

import contextlib
import json
import random
import warnings
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from tools.test_schema import SCHEMAS as SIGNATURE_SCHEMAS
from tools.test_schema_models import SCHEMAS as MODEL_SCHEMAS

from agentkit import ToolDefinitionError, ToolDefinitionWarning
from agentkit.testing._regex_sample import sample_matching
from agentkit.testing._schema_values import example_arguments, example_value
from agentkit.tools import Tool

SEEDS = range(5)


def assert_valid(value: Any, schema: dict[str, Any]) -> None:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
    assert not errors, f"{json.dumps(value)} is invalid: {errors}"


def _tools() -> list[Any]:
    """A tool for every signature of the tools tests, plain and strict (when
    it has a strict form). They have no docstrings: the warning is expected."""
    params = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolDefinitionWarning)
        for param in [*SIGNATURE_SCHEMAS, *MODEL_SCHEMAS]:
            function = param.values[0]
            params.append(pytest.param(Tool(function), id=f"{param.id}"))
            with contextlib.suppress(ToolDefinitionError):
                params.append(pytest.param(Tool(function, strict=True), id=f"{param.id}-strict"))
    return params


@pytest.mark.parametrize("tool", _tools())
def test_arguments_for_every_tools_test_schema_are_valid_and_convert(tool: Tool[..., Any]) -> None:
    for seed in SEEDS:
        arguments = example_arguments(tool.parameters, seed=seed)
        assert_valid(arguments, tool.parameters)
        tool.parse_arguments(json.dumps(arguments))  # jsonschema, then pydantic


NODE = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "minLength": 3, "maxLength": 5},
        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
        "parent": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]},
    },
    "required": ["label", "children", "parent"],
    "additionalProperties": False,
}

HAND_WRITTEN: list[Any] = [
    pytest.param({"type": "integer", "minimum": 10, "maximum": 12}, id="int-bounds"),
    pytest.param({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 2}, id="int-excl"),
    pytest.param({"type": "integer", "maximum": -5}, id="int-max-only"),
    pytest.param({"type": "integer", "minimum": 1000, "multipleOf": 7}, id="int-multiple"),
    pytest.param({"type": "number", "exclusiveMinimum": 0, "maximum": 1}, id="num-bounds"),
    pytest.param({"type": "number", "multipleOf": 0.1, "minimum": 0.25}, id="num-multiple"),
    pytest.param({"type": "number", "multipleOf": 0.01, "maximum": 1}, id="num-cents"),
    pytest.param({"type": "string", "minLength": 12, "maxLength": 12}, id="str-length"),
    pytest.param({"type": "string", "pattern": r"^[A-Z]{2}-\d{4}$"}, id="str-pattern"),
    pytest.param({"type": "string", "pattern": r"^(red|green)+\d?$"}, id="str-alternatives"),
    pytest.param({"type": "string", "pattern": r"^[^\s@]+@[^\s@]+\.[a-z]{2,}$"}, id="str-email"),
    pytest.param({"type": "string", "format": "date-time"}, id="date-time"),
    pytest.param({"type": "string", "format": "date"}, id="date"),
    pytest.param({"type": "string", "format": "time"}, id="time"),
    pytest.param({"type": "string", "format": "duration"}, id="duration"),
    pytest.param({"type": "string", "format": "email"}, id="email"),
    pytest.param({"type": "string", "format": "uuid"}, id="uuid"),
    pytest.param({"type": "string", "format": "ipv4"}, id="ipv4"),
    pytest.param({"type": "string", "format": "ipv6"}, id="ipv6"),
    pytest.param({"type": "string", "format": "uri"}, id="uri"),
    pytest.param({"type": "string", "format": "hostname"}, id="hostname"),
    pytest.param({"enum": ["a", 1, None]}, id="enum-mixed"),
    pytest.param({"const": {"kind": "fixed"}}, id="const"),
    pytest.param({"type": ["integer", "string"]}, id="type-list"),
    pytest.param({"type": ["string", "null"]}, id="type-list-null"),
    pytest.param({"anyOf": [{"type": "integer"}, {"type": "null"}]}, id="nullable"),
    pytest.param(
        {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {"kind": {"const": "cat"}, "lives": {"type": "integer"}},
                    "required": ["kind", "lives"],
                },
                {
                    "type": "object",
                    "properties": {"kind": {"const": "dog"}},
                    "required": ["kind"],
                },
            ]
        },
        id="one-of-tagged",
    ),
    pytest.param(
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"b": {"type": "boolean"}}, "required": ["b"]},
            ]
        },
        id="all-of",
    ),
    pytest.param(
        {"type": "array", "items": {"enum": ["x", "y", "z"]}, "minItems": 3, "uniqueItems": True},
        id="unique-enum-items",
    ),
    pytest.param({"type": "array", "items": {"type": "integer"}, "maxItems": 0}, id="no-items"),
    pytest.param(
        {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
        id="map",
    ),
    pytest.param(
        {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "minProperties": 2,
            "additionalProperties": False,
        },
        id="min-properties",
    ),
    pytest.param(
        {"$ref": "#/$defs/Node", "$defs": {"Node": NODE}},
        id="recursive-ref",
    ),
    pytest.param({}, id="anything"),
]


@pytest.mark.parametrize("schema", HAND_WRITTEN)
def test_values_for_hand_written_schemas_are_valid(schema: dict[str, Any]) -> None:
    for seed in SEEDS:
        value = example_value(schema, root=schema, rng=random.Random(seed))
        assert_valid(value, schema)


def test_sensible_values_for_common_names_when_the_schema_allows_them() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "timezone": {"type": "string"},
            "order_id": {"type": "string"},
            "limit": {"type": "integer", "minimum": 1},
            "country": {"type": "string", "maxLength": 2},
            "unit": {"enum": ["fahrenheit", "celsius"]},
        },
        "required": ["city", "timezone", "order_id", "limit", "country", "unit"],
    }
    assert example_arguments(schema) == {
        "city": "Paris",
        "timezone": "UTC",
        "order_id": "42",
        "limit": 3,
        "country": "Fr",  # "France", cut to fit maxLength
        "unit": "celsius",
    }


def test_optional_properties_are_left_out_and_nullable_values_are_null() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["city", "note"],
    }
    assert example_arguments(schema) == {"city": "Paris", "note": None}


def test_patterns_it_cannot_invert_give_up_cleanly() -> None:
    assert sample_matching(r"[^\x00-\x7f]", random.Random(0)) is None
    assert sample_matching(r"(unclosed", random.Random(0)) is None
    value = example_value(
        {"type": "string", "pattern": r"^[a-z]+$"}, root={}, rng=random.Random(0), name="city"
    )
    assert value.isalpha()
    assert value.islower()
