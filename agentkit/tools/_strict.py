"""The strict-mode form of a schema: what OpenAI's Structured Outputs accept.

Rules, from the "Supported schemas" section of OpenAI's Structured Outputs
guide (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas)
and the OpenAI SDK's own ``to_strict_json_schema``:

- every object has ``additionalProperties: false`` and lists *all* its
  properties in ``required``; an optional field is emulated with a union with
  ``null``;
- the root is an object, not an ``anyOf``;
- ``anyOf``, ``enum``, ``$defs``/``$ref`` (also recursive) are supported;
  ``allOf``, ``not``, ``if``/``then``/``else``, ``dependentRequired``,
  ``dependentSchemas`` are not; ``prefixItems`` (fixed tuples) is rejected
  ("array schema missing items");
- supported constraints: ``pattern``, ``format`` (date-time, time, date,
  duration, email, hostname, ipv4, ipv6, uuid), ``minimum``, ``maximum``,
  ``exclusiveMinimum``, ``exclusiveMaximum``, ``multipleOf``, ``minItems``,
  ``maxItems``. Others (``minLength``, ``maxLength``, ``uniqueItems``, other
  formats...) are not in the documented subset: they are removed and written
  into the description, so the model still reads them; agentkit's own
  validation still enforces them.
- ``default`` is not part of the subset: removed.
"""

from __future__ import annotations

import json
from typing import Any

from .._errors import ToolDefinitionError
from ._schema_walk import JsonSchema, map_schema, resolve_ref

__all__ = ["SUPPORTED_FORMATS", "accepts_null", "to_strict_schema"]

SUPPORTED_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_DESCRIBED = (
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
    "uniqueItems",
    "examples",
)
_REJECTED = {
    "allOf": "allOf (an intersection of schemas)",
    "not": "not",
    "if": "if/then/else",
    "then": "if/then/else",
    "else": "if/then/else",
    "dependentRequired": "dependentRequired",
    "dependentSchemas": "dependentSchemas",
    "prefixItems": "a fixed-length tuple (prefixItems); use list[...] or a model",
    "patternProperties": "patternProperties",
    "propertyNames": "propertyNames",
    "contains": "contains",
    "unevaluatedItems": "unevaluatedItems",
    "unevaluatedProperties": "unevaluatedProperties",
}
_DROPPED = ("title", "default", "$schema", "$comment", "discriminator", "deprecated", "readOnly")
_TYPED = ("type", "anyOf", "$ref", "enum", "const")


def to_strict_schema(schema: JsonSchema, tool_name: str) -> JsonSchema:
    """The strict-mode form of ``schema`` (a new dict; ``schema`` is unchanged).

    Raises:
        ToolDefinitionError: Part of the schema cannot be expressed in strict
            mode (a free-form ``dict``, ``Any``, a fixed tuple...); the message
            gives its JSON pointer (``#/properties/<parameter>/...``).
    """
    if schema.get("type") != "object":
        raise ToolDefinitionError(
            f"Tool {tool_name!r} cannot be strict: the parameters schema must be an object."
        )

    def strict_node(node: JsonSchema, pointer: str) -> JsonSchema:
        try:
            return _strict_node(node, schema)
        except _NotStrict as exc:
            raise ToolDefinitionError(
                f"Tool {tool_name!r} cannot be strict: {exc} at {pointer}. Change that type, "
                "or use strict=False."
            ) from None

    return map_schema(schema, strict_node)


def accepts_null(schema: JsonSchema, root: JsonSchema) -> bool:
    """Whether ``null`` may be valid under ``schema`` (conservatively: a
    schema with no type constraint accepts it)."""
    schema = resolve_ref(schema, root)
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "const" in schema:
        return schema["const"] is None
    if "enum" in schema:
        return None in schema["enum"]
    branches = schema.get("anyOf", schema.get("oneOf"))
    if isinstance(branches, list):
        return any(accepts_null(branch, root) for branch in branches)
    return kind is None and "$ref" not in schema and "properties" not in schema


class _NotStrict(Exception):
    pass


def _strict_node(node: JsonSchema, root: JsonSchema) -> JsonSchema:
    for keyword, what in _REJECTED.items():
        if keyword in node:
            raise _NotStrict(f"strict mode does not support {what}")
    for keyword in _DROPPED:
        node.pop(keyword, None)
    if "$ref" in node and len(node) > 1:  # strict mode allows no siblings next to $ref
        node = {"anyOf": [{"$ref": node.pop("$ref")}], **node}
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")
    if "const" in node:
        node["enum"] = [node.pop("const")]
    _describe_unsupported(node)
    if not any(keyword in node for keyword in _TYPED):
        raise _NotStrict(
            "strict mode needs a type for every value, and this one can be anything "
            "(Any, or a bare list without an item type)"
        )
    if node.get("type") == "array" and not isinstance(node.get("items"), dict):
        raise _NotStrict("strict mode needs the item type of every array (list[...])")
    if node.get("type") == "object" or "properties" in node:
        _strict_object(node, root)
    return node


def _strict_object(node: JsonSchema, root: JsonSchema) -> None:
    properties = node.get("properties")
    if not isinstance(properties, dict) or node.get("additionalProperties") not in (
        None,
        False,
        True,
    ):
        raise _NotStrict(
            "strict mode cannot express an object with free-form keys (a dict); use a "
            "pydantic model, a dataclass or a TypedDict"
        )
    required = set(node.get("required", ()))
    for name, prop in properties.items():
        if name not in required and not accepts_null(prop, root):
            properties[name] = _nullable(prop)
    node["required"] = list(properties)
    node["additionalProperties"] = False


def _nullable(schema: JsonSchema) -> JsonSchema:
    """``schema`` or ``null``; the description stays on the outside."""
    inner = dict(schema)
    outer: JsonSchema = {}
    if "description" in inner:
        outer["description"] = inner.pop("description")
    if set(inner) == {"anyOf"}:
        return {"anyOf": [*inner["anyOf"], {"type": "null"}], **outer}
    return {"anyOf": [inner, {"type": "null"}], **outer}


def _describe_unsupported(node: JsonSchema) -> None:
    notes = [f"{key}={_json(node.pop(key))}" for key in _DESCRIBED if key in node]
    if "format" in node and node["format"] not in SUPPORTED_FORMATS:
        notes.append(f"format={_json(node.pop('format'))}")
    if notes:
        description = node.get("description")
        text = ", ".join(notes)
        node["description"] = f"{description} ({text})" if description else f"({text})"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
