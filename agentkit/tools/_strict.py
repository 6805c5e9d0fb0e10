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

Strict mode's ``null`` means "use the default": every property is required,
so an optional parameter is published as nullable and the model sends
``null`` when it has nothing to say. Before conversion, such a ``null`` is
removed from the arguments (`drop_default_nulls`), so the Python default
applies. Only properties that were optional *and* whose own type does not
accept ``None`` are treated this way: for ``x: int | None = 5`` a ``null`` is
a real ``None``. That walk follows the original (non-strict) schema, where
"optional" is still visible as a property missing from ``required``.
"""

from __future__ import annotations

import json
from typing import Any

from .._errors import ToolDefinitionError
from ._json_schema import JsonSchema, map_schema, resolve_ref

__all__ = ["SUPPORTED_FORMATS", "drop_default_nulls", "to_strict_schema"]

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


def drop_default_nulls(arguments: dict[str, Any], schema: JsonSchema) -> dict[str, Any]:
    """``arguments`` without the ``null`` s that stand for "use the default"
    (see the module docs); ``schema`` is the one before the strict transform."""
    dropped: dict[str, Any] = _drop(arguments, schema, schema)
    return dropped


def _accepts_null(schema: JsonSchema, root: JsonSchema) -> bool:
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
        return any(_accepts_null(branch, root) for branch in branches)
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
        if name not in required and not _accepts_null(prop, root):
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


def _drop(value: Any, schema: JsonSchema, root: JsonSchema) -> Any:
    schema = resolve_ref(schema, root)
    if isinstance(value, dict):
        return _drop_in_object(value, _object_branch(schema, value, root), root)
    if isinstance(value, list):
        items = _array_items(schema, root)
        if items is not None:
            return [_drop(item, items, root) for item in value]
    return value


def _drop_in_object(value: dict[str, Any], schema: JsonSchema | None, root: JsonSchema) -> Any:
    if schema is None:
        return value
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    result: dict[str, Any] = {}
    for key, item in value.items():
        prop = properties.get(key)
        if not isinstance(prop, dict):
            result[key] = item
        elif item is None and key not in required and not _accepts_null(prop, root):
            continue
        else:
            result[key] = _drop(item, prop, root)
    return result


def _object_branch(
    schema: JsonSchema, value: dict[str, Any], root: JsonSchema
) -> JsonSchema | None:
    """The object schema ``value`` was sent for. In a union of objects, strict
    mode makes the model send every key of its branch, so the branch whose
    keys are exactly the value's keys is the one."""
    if isinstance(schema.get("properties"), dict):
        return schema
    for branch in _branches(schema, root):
        properties = branch.get("properties")
        if isinstance(properties, dict) and set(properties) == set(value):
            return branch
    return None


def _array_items(schema: JsonSchema, root: JsonSchema) -> JsonSchema | None:
    if isinstance(schema.get("items"), dict):
        return schema["items"]  # type: ignore[no-any-return]
    for branch in _branches(schema, root):
        if isinstance(branch.get("items"), dict):
            return branch["items"]  # type: ignore[no-any-return]
    return None


def _branches(schema: JsonSchema, root: JsonSchema) -> list[JsonSchema]:
    branches = schema.get("anyOf") or schema.get("oneOf") or []
    return [resolve_ref(branch, root) for branch in branches if isinstance(branch, dict)]
