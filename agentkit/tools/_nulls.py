"""Strict mode's ``null``: "use the default".

In strict mode every property is required, so an optional parameter is
published as nullable and the model sends ``null`` when it has nothing to
say. Before conversion, such a ``null`` is removed from the arguments, so
the Python default applies. Only properties that were optional *and* whose
own type does not accept ``None`` are treated this way: for ``x: int | None =
5`` a ``null`` is a real ``None``.

The walk follows the original (non-strict) schema, where "optional" is still
visible as a property missing from ``required``.
"""

from __future__ import annotations

from typing import Any

from ._schema_walk import JsonSchema, resolve_ref
from ._strict import accepts_null

__all__ = ["drop_default_nulls"]


def drop_default_nulls(value: Any, schema: JsonSchema, root: JsonSchema) -> Any:
    """``value`` without the ``null`` s that stand for "use the default"."""
    schema = resolve_ref(schema, root)
    if isinstance(value, dict):
        return _drop_in_object(value, _object_branch(schema, value, root), root)
    if isinstance(value, list):
        items = _array_items(schema, root)
        if items is not None:
            return [drop_default_nulls(item, items, root) for item in value]
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
        elif item is None and key not in required and not accepts_null(prop, root):
            continue
        else:
            result[key] = drop_default_nulls(item, prop, root)
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
