"""An independent checker of OpenAI's strict-mode schema rules, and its own tests.

The rules, from the "Supported schemas" section of OpenAI's Structured
Outputs guide (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas),
written here without looking at agentkit's transform, so the schema tests
check agentkit against the documentation rather than against itself:

- the root is an object, not ``anyOf``;
- every object sets ``additionalProperties: false`` and lists every property
  in ``required``;
- every value has a type (``type``, ``anyOf``, ``enum``, ``const`` or a
  ``$ref``), every array has an ``items`` schema;
- ``$ref`` has no sibling keywords and points to ``#`` or an existing ``$defs`` entry;
- no unsupported keyword: composition (``allOf``, ``not``, ``if``/``then``/
  ``else``, ``dependentRequired``, ``dependentSchemas``), ``prefixItems``,
  ``default``, and the keywords outside the documented subset (``minLength``,
  ``maxLength``, ``uniqueItems``, ``patternProperties``...);
- ``format`` is one of the documented formats.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

FORBIDDEN_KEYWORDS = frozenset(
    {
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "prefixItems",
        "default",
        "oneOf",
        "discriminator",
        "minLength",
        "maxLength",
        "patternProperties",
        "unevaluatedProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "unevaluatedItems",
        "contains",
        "minContains",
        "maxContains",
        "uniqueItems",
    }
)
DOCUMENTED_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)


def assert_openai_strict_compatible(schema: dict[str, Any]) -> None:
    """Fail with the JSON pointer of the first node that breaks a strict-mode rule."""
    assert schema.get("type") == "object", "the root must be an object"
    assert "anyOf" not in schema, "the root must not be anyOf"
    _check(schema, schema, "#")


def _check(node: Any, root: dict[str, Any], pointer: str) -> None:
    assert isinstance(node, dict), f"{pointer}: a schema must be an object"
    forbidden = FORBIDDEN_KEYWORDS & set(node)
    assert not forbidden, f"{pointer}: unsupported keywords {sorted(forbidden)}"
    if "$ref" in node:
        _check_ref(node, root, pointer)
        return
    assert {"type", "anyOf", "enum", "const"} & set(node), f"{pointer}: no type"
    if "format" in node:
        assert node["format"] in DOCUMENTED_FORMATS, f"{pointer}: format {node['format']!r}"
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    if "object" in types or "properties" in node:
        _check_object(node, root, pointer)
    if "array" in types:
        assert isinstance(node.get("items"), dict), f"{pointer}: array without items"
        _check(node["items"], root, f"{pointer}/items")
    for index, branch in enumerate(node.get("anyOf", [])):
        _check(branch, root, f"{pointer}/anyOf/{index}")
    for name, definition in node.get("$defs", {}).items():
        _check(definition, root, f"{pointer}/$defs/{name}")


def _check_object(node: dict[str, Any], root: dict[str, Any], pointer: str) -> None:
    properties = node.get("properties")
    assert isinstance(properties, dict), f"{pointer}: object without properties"
    assert node.get("additionalProperties") is False, f"{pointer}: additionalProperties"
    assert sorted(node.get("required", [])) == sorted(properties), f"{pointer}: required"
    for name, prop in properties.items():
        _check(prop, root, f"{pointer}/properties/{name}")


def _check_ref(node: dict[str, Any], root: dict[str, Any], pointer: str) -> None:
    assert set(node) == {"$ref"}, f"{pointer}: $ref with siblings {sorted(node)}"
    ref = node["$ref"]
    if ref == "#":
        return
    assert ref.startswith("#/$defs/"), f"{pointer}: $ref {ref!r}"
    assert ref.removeprefix("#/$defs/") in root.get("$defs", {}), f"{pointer}: dangling {ref!r}"


# ------------------------------------------------------- the checker's own tests

_GOOD = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "The location"},
        "unit": {"anyOf": [{"type": "string", "enum": ["F", "C"]}, {"type": "null"}]},
        "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}},
        "when": {"type": "string", "format": "date-time"},
    },
    "required": ["location", "unit", "steps", "when"],
    "additionalProperties": False,
    "$defs": {
        "step": {
            "type": "object",
            "properties": {"output": {"type": "string"}, "next": {"$ref": "#"}},
            "required": ["output", "next"],
            "additionalProperties": False,
        }
    },
}


def test_the_checker_accepts_the_documented_shapes() -> None:
    assert_openai_strict_compatible(_GOOD)


_DELETE = object()


def _broken(path: list[str], value: Any) -> dict[str, Any]:
    schema = copy.deepcopy(_GOOD)
    node: Any = schema
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return schema


@pytest.mark.parametrize(
    ("path", "value", "complaint"),
    [
        (["required"], ["location"], "required"),
        (["additionalProperties"], _DELETE, "additionalProperties"),
        (["$defs", "step", "additionalProperties"], True, "additionalProperties"),
        (["properties", "location", "default"], "Hanoi", "unsupported"),
        (["properties", "location", "maxLength"], 5, "unsupported"),
        (["properties", "when", "format"], "uri", "format"),
        (["properties", "steps", "items"], _DELETE, "items"),
        (["properties", "steps", "items", "description"], "x", "siblings"),
        (["properties", "steps", "items", "$ref"], "#/$defs/nope", "dangling"),
        (["properties", "location"], {}, "no type"),
        (["properties", "location"], {"type": "object", "additionalProperties": True}, "object"),
        (["properties", "unit", "allOf"], [{"type": "string"}], "unsupported"),
        (["type"], "array", "root"),
    ],
)
def test_the_checker_rejects_each_broken_rule(path: list[str], value: Any, complaint: str) -> None:
    with pytest.raises(AssertionError, match=complaint):
        assert_openai_strict_compatible(_broken(path, value))
