"""Post-processing pydantic's JSON schemas into the form agentkit publishes.

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

from typing import Any

from ._schema_walk import JsonSchema, map_schema

__all__ = ["clean_schema", "root_first"]

_ROOT_ORDER = ("type", "description", "properties", "required", "additionalProperties")


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
