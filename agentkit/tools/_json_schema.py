"""JSON schemas as data: walking them, cleaning pydantic's output into the
form agentkit publishes, and checking schemas that users write.

Walking knows keywords from property names: a property called ``title`` or
``default`` is a name inside ``properties``, not a keyword, so the helpers
here visit exactly the subschemas and never treat mapping keys as keywords.

Cleaning a pydantic schema:

- ``title`` keywords are dropped (the model gains nothing from "City" next to
  ``city``; they cost tokens).
- Nested models and enums stay in ``$defs`` and are referenced with ``$ref``
  (OpenAI documents definitions, also in strict mode). A ``$ref`` never has
  sibling keywords: ``{"$ref": ..., "description": ...}`` becomes
  ``{"anyOf": [{"$ref": ...}], "description": ...}``, which every draft and
  strict mode read the same way.
- A recursive root model (pydantic answers ``{"$ref": "#/$defs/Node"}``) is
  inlined at the root, its self-references becoming ``#``.
- Every object with ``properties`` and no ``additionalProperties`` gets
  ``additionalProperties: false``, so an unexpected key (a typo such as
  ``ctiy``) is reported to the model instead of silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import ToolDefinitionError

__all__ = ["JsonSchema", "check_schema", "clean_schema", "map_schema", "resolve_ref", "root_first"]

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
_ROOT_ORDER = ("type", "description", "properties", "required", "additionalProperties")

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


def clean_schema(schema: JsonSchema) -> JsonSchema:
    """The publishable form of a pydantic JSON schema (see the module docs).
    The root always lists ``required`` (possibly empty)."""
    cleaned = map_schema(_inline_root_ref(schema), _clean_node)
    cleaned.setdefault("required", [])
    return cleaned


def root_first(schema: JsonSchema) -> JsonSchema:
    """``schema`` with its root keys in reading order: ``type``,
    ``properties``, ``required``, ``additionalProperties``, then the rest
    (``$defs``)."""
    ordered = {key: schema[key] for key in _ROOT_ORDER if key in schema}
    ordered.update((key, value) for key, value in schema.items() if key not in ordered)
    return ordered


def check_schema(schema: JsonSchema, tool_name: str) -> None:
    """Raise `ToolDefinitionError` unless ``schema`` is a valid Draft 2020-12
    JSON schema."""
    from jsonschema import Draft202012Validator, SchemaError  # on first use: import cost

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ToolDefinitionError(
            f"The parameters schema of tool {tool_name!r} is not a valid JSON schema "
            f"(Draft 2020-12): {exc.message}"
        ) from exc


def _clean_node(node: JsonSchema, pointer: str) -> JsonSchema:
    node.pop("title", None)
    if "$ref" in node and len(node) > 1:
        node = {"anyOf": [{"$ref": node.pop("$ref")}], **node}
    if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


def _inline_root_ref(schema: JsonSchema) -> JsonSchema:
    ref = schema.get("$ref")
    defs: dict[str, Any] = dict(schema.get("$defs", {}))
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return schema
    name = ref.removeprefix("#/$defs/")
    root = dict(defs.pop(name))
    if defs:
        root["$defs"] = defs
    return map_schema(root, lambda node, _: _point_to_root(node, ref))


def _point_to_root(node: JsonSchema, ref: str) -> JsonSchema:
    if node.get("$ref") == ref:
        node["$ref"] = "#"
    return node
