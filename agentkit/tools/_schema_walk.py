"""Walking a JSON schema: every subschema, knowing keywords from property names.

A property called ``title`` or ``default`` is a name inside ``properties``,
not a keyword, so the schema post-processing must never treat mapping keys
as keywords; these helpers visit exactly the subschemas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["JsonSchema", "map_schema", "resolve_ref"]

JsonSchema = dict[str, Any]

# Keywords whose value is a subschema, a list of subschemas, or a name -> subschema map.
_SINGLE = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
)
_LIST = ("anyOf", "oneOf", "allOf", "prefixItems")
_MAP = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")

NodeFunction = Callable[[JsonSchema, str], JsonSchema]


def map_schema(schema: JsonSchema, function: NodeFunction, pointer: str = "#") -> JsonSchema:
    """A new schema where ``function(node, pointer)`` was applied to every
    subschema, children first (so ``function`` sees transformed children).

    ``pointer`` is the JSON pointer of the node (``#/properties/city``), for
    error messages.
    """
    node = dict(schema)
    for key in _SINGLE:
        if isinstance(node.get(key), dict):
            node[key] = map_schema(node[key], function, f"{pointer}/{key}")
    for key in _LIST:
        if isinstance(node.get(key), list):
            node[key] = [
                map_schema(item, function, f"{pointer}/{key}/{index}")
                if isinstance(item, dict)
                else item
                for index, item in enumerate(node[key])
            ]
    for key in _MAP:
        if isinstance(node.get(key), dict):
            node[key] = {
                name: map_schema(item, function, f"{pointer}/{key}/{name}")
                if isinstance(item, dict)
                else item
                for name, item in node[key].items()
            }
    return function(node, pointer)


def resolve_ref(schema: JsonSchema, root: JsonSchema) -> JsonSchema:
    """Follow local ``$ref`` s (``#`` and ``#/$defs/Name``) to the schema they name."""
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < 32:
        ref: str = schema["$ref"]
        target: Any = root
        for part in ref.removeprefix("#").strip("/").split("/"):
            if part:
                target = target.get(part, {}) if isinstance(target, dict) else {}
        schema = target if isinstance(target, dict) else {}
        seen += 1
    return schema
