"""`quick_check`: arguments of a tool with scalar parameters are accepted
without jsonschema only when jsonschema would accept them too; everything
else (and every schema it cannot judge) is left to jsonschema."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from agentkit import ToolArgumentsError
from agentkit.tools import tool
from agentkit.tools._arguments import quick_check

SCALARS = {"a": "string", "b": "integer", "c": "number", "d": "boolean", "e": "null"}
VALUES: list[Any] = ["x", "", 0, 1, -7, 10**30, 1.0, 2.5, -0.0, True, False, None, [], {}, [1]]
WELL_TYPED: dict[str, list[Any]] = {
    "a": ["x", ""],
    "b": [0, -3, 10**30],
    "c": [1, 2.5],
    "d": [True, False],
    "e": [None],
    "extra": ["anything"],
}


def scalar_schema(*, closed: bool, required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            name: {"type": kind, "description": f"the {kind}"} for name, kind in SCALARS.items()
        },
        "required": required,
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


@pytest.mark.parametrize("closed", [True, False])
@pytest.mark.parametrize("required", [[], ["a", "b"], list(SCALARS)])
def test_what_it_accepts_jsonschema_accepts(closed: bool, required: list[str]) -> None:
    schema = scalar_schema(closed=closed, required=required)
    quick = quick_check(schema)
    assert quick is not None
    validator = Draft202012Validator(schema)
    rng = random.Random(f"{closed}{required}")
    accepted = 0
    for _ in range(3000):
        # Mostly well-typed values, so that many sets pass and the wrong
        # ones are one or two bad values away from passing.
        arguments = {
            name: rng.choice(WELL_TYPED[name] if rng.random() < 0.8 else VALUES)
            for name in [*SCALARS, "extra"]
            if rng.random() < 0.8
        }
        if quick(arguments):
            accepted += 1
            assert validator.is_valid(arguments), arguments
    assert accepted > 0  # the check is exercised, not only refused


@pytest.mark.parametrize("closed", [True, False])
def test_it_accepts_every_well_typed_argument_set(closed: bool) -> None:
    schema = scalar_schema(closed=closed, required=["a"])
    quick = quick_check(schema)
    assert quick is not None
    typed = {name: values for name, values in WELL_TYPED.items() if name != "extra"}
    for values in itertools.product(*typed.values()):
        assert quick(dict(zip(typed, values, strict=True)))


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ({"b": 1}, "a required property is missing"),
        ({"a": "x", "b": True}, "a bool is not an integer"),
        ({"a": "x", "c": False}, "a bool is not a number"),
        ({"a": "x", "b": 1.0}, "1.0 is an integer to JSON Schema: jsonschema decides"),
        ({"a": "x", "extra": 1}, "no other property is allowed"),
        ({"a": 5}, "wrong type"),
    ],
)
def test_it_leaves_to_jsonschema(arguments: dict[str, Any], why: str) -> None:
    quick = quick_check(scalar_schema(closed=True, required=["a"]))
    assert quick is not None
    assert not quick(arguments), why


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"u": {"type": "string", "enum": ["C", "F"]}}},
        {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}},
        {"type": "object", "properties": {"t": {"type": ["string", "null"]}}},
        {"type": "object", "properties": {"o": {"anyOf": [{"type": "string"}]}}},
        {"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}}}},
        {"type": "object", "properties": {"o": {"type": "object"}}},
        {"type": "object", "properties": {}, "$defs": {}},
        {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}},
        {"type": "array"},
    ],
)
def test_schemas_it_cannot_judge(schema: dict[str, Any]) -> None:
    assert quick_check(schema) is None


def test_a_tool_with_scalar_parameters_reports_invalid_arguments_as_before() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers.

        Args:
            a: First.
            b: Second.
        """
        return a + b

    assert add.parse_arguments('{"a": 1, "b": 2}') == {"a": 1, "b": 2}
    assert add.parse_arguments('{"a": 1.0, "b": 2}') == {"a": 1, "b": 2}
    wrong = r"\$\.a: expected integer, got boolean true"
    with pytest.raises(ToolArgumentsError, match=wrong) as info:
        add.parse_arguments('{"a": true, "b": 2}')
    assert "missing required property" not in str(info.value)
