"""Values that a JSON schema accepts, made up the way a model would: the
arguments a stand-in model sends to a tool, generated from its published
parameters schema.

Deterministic: the same schema, name and seed give the same value. Covers
what tool schemas use: types (also lists of types), ``const``, ``enum``,
``anyOf``/``oneOf``/``allOf``, local ``$ref`` (recursive ones too), nested
objects, arrays and tuples, ``required``, numeric bounds and ``multipleOf``,
string lengths, ``pattern`` and formats (``date-time``, ``date``, ``uuid``,
``email``...). Where it is cheap, a parameter's name picks a sensible value
(``city`` is "Paris", ``timezone`` is "UTC").

Optional properties are left out and a value that may be null is null:
the tool's defaults apply, as they do when a model says nothing more.
"""

from __future__ import annotations

import math
import random
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ..tools._json_schema import JsonSchema, resolve_ref
from ._regex_sample import sample_matching
from ._sample_names import FORMATS, NAMED_NUMBERS, NAMED_STRINGS, by_suffix

__all__ = ["example_arguments", "example_value"]

_MAX_DEPTH = 6
_GIVE_UP_DEPTH = 24

_WORDS = ("alpha", "bravo", "delta", "echo", "lima", "oscar", "tango", "zulu")


def example_arguments(schema: JsonSchema, *, seed: int | str = 0) -> dict[str, Any]:
    """Arguments valid against a tool's parameters ``schema`` (an object schema)."""
    rng = random.Random(f"{seed}")
    value = example_value(schema, root=schema, rng=rng)
    return value if isinstance(value, dict) else {}


def example_value(
    schema: Any,
    *,
    root: JsonSchema,
    rng: random.Random,
    name: str = "",
    depth: int = 0,
) -> Any:
    """A value valid against ``schema`` (a subschema of ``root``, whose
    ``$defs`` its ``$ref`` s name); ``name`` is the property it is for."""
    if schema is True or not isinstance(schema, Mapping):
        return _WORDS[0]
    schema = _merge_all_of(resolve_ref(dict(schema), root), root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return _pick_enum(schema["enum"], name, rng)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(branches, list) and branches:
        return _from_branches(schema, branches, root, rng, name, depth)
    if depth > _GIVE_UP_DEPTH:  # a schema that only ends in an infinite value
        return None
    kind = _pick_type(schema.get("type"))
    make = _MAKERS.get(kind or "", _make_any)
    return make(schema, root, rng, name, depth)


def _merge_all_of(schema: dict[str, Any], root: JsonSchema) -> dict[str, Any]:
    parts = schema.pop("allOf", None)
    if not isinstance(parts, list):
        return schema
    merged: dict[str, Any] = {}
    for part in [*parts, schema]:
        if not isinstance(part, Mapping):
            continue
        part = _merge_all_of(resolve_ref(dict(part), root), root)
        properties = {**merged.get("properties", {}), **part.get("properties", {})}
        required = [*merged.get("required", []), *part.get("required", [])]
        merged.update(part)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = list(dict.fromkeys(required))
    return merged


def _from_branches(
    schema: dict[str, Any],
    branches: list[Any],
    root: JsonSchema,
    rng: random.Random,
    name: str,
    depth: int,
) -> Any:
    if any(_is_null(resolve_ref(b, root)) for b in branches if isinstance(b, dict)):
        return None
    siblings = {key: value for key, value in schema.items() if key not in ("anyOf", "oneOf")}
    branch = branches[0]
    if depth >= _MAX_DEPTH:  # prefer a branch that ends the recursion
        branch = next((b for b in branches if "$ref" not in b), branch)
    if isinstance(branch, Mapping):
        branch = {**siblings, **resolve_ref(dict(branch), root)}
    return example_value(branch, root=root, rng=rng, name=name, depth=depth)


def _is_null(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "null" or schema.get("const", 0) is None


def _pick_type(declared: Any) -> str | None:
    if isinstance(declared, list):
        if "null" in declared:
            return "null"
        return str(declared[0]) if declared else None
    return declared if isinstance(declared, str) else None


def _pick_enum(values: list[Any], name: str, rng: random.Random) -> Any:
    preferred = NAMED_STRINGS.get(name.lower())
    if preferred in values:
        return preferred
    return rng.choice(values) if values else None


def _make_string(
    schema: Mapping[str, Any], root: JsonSchema, rng: random.Random, name: str, depth: int
) -> str:
    minimum = int(schema.get("minLength", 0))
    maximum = schema.get("maxLength")
    pattern = schema.get("pattern")
    form = schema.get("format")
    candidates = [
        str(uuid.UUID(int=rng.getrandbits(128), version=4)) if form == "uuid" else None,
        FORMATS.get(form) if isinstance(form, str) else None,
        NAMED_STRINGS.get(name.lower()) or by_suffix(name),
        sample_matching(pattern, rng) if isinstance(pattern, str) else None,
        rng.choice(_WORDS),
    ]
    for candidate in candidates:
        if candidate is None:
            continue
        fitted = _fit_length(candidate, minimum, maximum)
        if not isinstance(pattern, str) or re.search(pattern, fitted):
            return fitted
    return _fit_length(rng.choice(_WORDS), minimum, maximum)


def _fit_length(text: str, minimum: int, maximum: Any) -> str:
    if len(text) < minimum:
        text = (text * (minimum // max(len(text), 1) + 1))[: max(minimum, len(text))]
        text = text.ljust(minimum, "x")
    if isinstance(maximum, int) and len(text) > maximum:
        text = text[:maximum]
    return text


def _make_number(
    schema: Mapping[str, Any], root: JsonSchema, rng: random.Random, name: str, depth: int
) -> float | int:
    integer = schema.get("type") == "integer" or (
        isinstance(schema.get("type"), list) and "integer" in schema["type"]
    )
    low, high = _bounds(schema, integer)
    named = NAMED_NUMBERS.get(name.lower())
    if named is not None and low <= named <= high and (not integer or float(named).is_integer()):
        value: float = named
    elif integer:
        value = rng.randint(math.ceil(low), math.floor(high)) if low <= high else math.ceil(low)
    else:
        value = round(rng.uniform(low, high), 2)
        value = min(max(value, low), high)
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0:
        value = _multiple_of(step, low, high, value)
    return int(value) if integer else float(value)


def _multiple_of(step: float, low: float, high: float, near: float) -> float:
    """A multiple of ``step`` in ``[low, high]``, one that JSON Schema's float
    division check accepts (``0.3 / 0.1`` is not an integer in floats)."""
    first = math.ceil(max(low, near) / step)
    for factor in (*range(first, first + 50), *range(math.ceil(low / step), first)):
        value: float = round(factor * step, 12)
        quotient = value / step
        if low <= value <= high and int(quotient) == quotient:
            return value
    return near


def _bounds(schema: Mapping[str, Any], integer: bool) -> tuple[float, float]:
    nudge = 1 if integer else 0.01
    low: float = schema.get("minimum", -math.inf)
    high: float = schema.get("maximum", math.inf)
    if "exclusiveMinimum" in schema:
        low = max(low, schema["exclusiveMinimum"] + nudge)
    if "exclusiveMaximum" in schema:
        high = min(high, schema["exclusiveMaximum"] - nudge)
    if low == -math.inf:
        low = min(1, high - 100) if high != math.inf else 1
    if high == math.inf:
        high = max(low, 1) + 99
    return low, high


def _make_boolean(
    schema: Mapping[str, Any], root: JsonSchema, rng: random.Random, name: str, depth: int
) -> bool:
    return rng.random() < 0.5


def _make_null(
    schema: Mapping[str, Any], root: JsonSchema, rng: random.Random, name: str, depth: int
) -> None:
    return None


def _make_array(
    schema: Mapping[str, Any], root: JsonSchema, rng: random.Random, name: str, depth: int
) -> list[Any]:
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list):
        return [
            example_value(item, root=root, rng=rng, name=name, depth=depth + 1) for item in prefix
        ]
    low = int(schema.get("minItems", 0))
    high = schema.get("maxItems")
    count = max(low, 0 if depth >= _MAX_DEPTH else 1)
    if isinstance(high, int):
        count = min(count, high)
    item_schema = schema.get("items", {})
    items: list[Any] = []
    attempts = 0
    while len(items) < count and attempts < count + 20:
        attempts += 1
        item = example_value(item_schema, root=root, rng=rng, name=name, depth=depth + 1)
        if not schema.get("uniqueItems") or item not in items:
            items.append(item)
    return items


def _make_object(
    schema: Mapping[str, Any], root: JsonSchema, rng: random.Random, name: str, depth: int
) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    value = {
        key: example_value(properties.get(key, {}), root=root, rng=rng, name=key, depth=depth + 1)
        for key in schema.get("required", [])
    }
    extra = schema.get("additionalProperties")
    wanted = int(schema.get("minProperties", 0))
    if isinstance(extra, Mapping) and not properties and depth < _MAX_DEPTH:
        wanted = max(wanted, 1)
    for key in properties:
        if len(value) >= wanted:
            break
        value.setdefault(
            key, example_value(properties[key], root=root, rng=rng, name=key, depth=depth + 1)
        )
    index = 0
    while len(value) < wanted and extra is not False:
        key = f"key{index}"
        value[key] = example_value(
            extra if isinstance(extra, Mapping) else {}, root=root, rng=rng, depth=depth + 1
        )
        index += 1
    return value


def _make_any(
    schema: Mapping[str, Any], root: JsonSchema, rng: random.Random, name: str, depth: int
) -> Any:
    if "properties" in schema or "required" in schema:
        return _make_object(schema, root, rng, name, depth)
    if "items" in schema or "prefixItems" in schema:
        return _make_array(schema, root, rng, name, depth)
    return NAMED_STRINGS.get(name.lower()) or rng.choice(_WORDS)


_Maker = Callable[[Mapping[str, Any], JsonSchema, random.Random, str, int], Any]
_MAKERS: dict[str, _Maker] = {
    "string": _make_string,
    "integer": _make_number,
    "number": _make_number,
    "boolean": _make_boolean,
    "null": _make_null,
    "array": _make_array,
    "object": _make_object,
}
