"""The schema and converter of a plain-JSON signature, without pydantic.

A tool whose parameters are all plain JSON types (``str``, ``int``,
``float``, ``bool``, ``None``, ``X | None``, ``list[X]``, ``dict[str, X]``,
``Literal`` of strings or of ints) with no default or a JSON scalar one gets
the schema pydantic would give it (the same keys in the same order: pydantic
sorts them) and a converter with pydantic's results, and pydantic (~9 MiB) is
not imported. Any other signature takes the pydantic path
(`_pydantic_schema`).

The converter sees arguments already validated against the schema. A value
it is not sure to convert as pydantic does (an integral float for an
``int``, an int too big for an exact float) goes through the pydantic
converter, built then: results and error messages stay pydantic's.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Callable, Sequence
from typing import Any, Literal, Union, get_args, get_origin

from ._arguments import Converter
from ._json_schema import JsonSchema, clean_schema
from ._pydantic_schema import arguments_model
from ._signature import Docstring

__all__ = ["simple_arguments"]

_NONE = type(None)
_SCALAR_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", _NONE: "null"}
_EXACT_FLOAT = 2**53  # ints up to this size are exactly floats

ValueConverter = Callable[[Any], Any]
Typed = tuple[JsonSchema, ValueConverter]


class _Unsure(Exception):
    """A value whose conversion is left to pydantic."""


def simple_arguments(
    tool_name: str, parameters: Sequence[inspect.Parameter], docstring: Docstring
) -> tuple[Converter, JsonSchema] | None:
    """The converter of a plain-JSON signature's arguments and its JSON
    schema (as `arguments_model` makes them), or None when the signature
    needs pydantic."""
    properties: dict[str, JsonSchema] = {}
    converters: dict[str, ValueConverter] = {}
    required: list[str] = []
    always: dict[str, Any] = {}  # positional-only defaults: passed even when not given
    for param in parameters:
        typed = _typed(param.annotation)
        if typed is None or not _is_simple_default(param.default):
            return None
        schema = dict(typed[0])
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
        else:
            schema["default"] = param.default
            if param.kind is inspect.Parameter.POSITIONAL_ONLY:
                always[param.name] = param.default
        if docstring.params.get(param.name):
            schema["description"] = docstring.params[param.name]
        properties[param.name] = dict(sorted(schema.items()))
        converters[param.name] = typed[1]
    model: JsonSchema = {"properties": properties, "required": required, "type": "object"}
    if not required:
        del model["required"]  # as pydantic leaves it out
    fallback: list[Converter] = []

    def convert(data: dict[str, Any]) -> dict[str, Any]:
        try:
            return {
                name: value(data[name]) if name in data else always[name]
                for name, value in converters.items()
                if name in data or name in always
            }
        except _Unsure:
            if not fallback:
                fallback.append(arguments_model(tool_name, parameters, docstring)[0])
            return fallback[0](data)

    return convert, clean_schema(model)


def _is_simple_default(default: Any) -> bool:
    if default is inspect.Parameter.empty or type(default) in (_NONE, bool, int, str):
        return True
    return type(default) is float and math.isfinite(default)


def _typed(annotation: Any) -> Typed | None:
    """The schema and value converter of a plain JSON type, else None."""
    if annotation is None:
        annotation = _NONE
    if isinstance(annotation, type) and annotation in _SCALAR_TYPES:
        return {"type": _SCALAR_TYPES[annotation]}, _SCALAR_CONVERTERS[annotation]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return _literal(args)
    if origin in (Union, types.UnionType) and len(args) == 2 and _NONE in args:
        return _optional(args)
    if origin is list and len(args) == 1:
        items = _typed(args[0])
        return None if items is None else _list(items)
    if origin is dict and len(args) == 2 and args[0] is str:
        values = _typed(args[1])
        return None if values is None else _dict(values)
    return None


def _optional(args: tuple[Any, ...]) -> Typed | None:
    other = args[1] if args[0] is _NONE else args[0]
    inner = _typed(other)
    if inner is None:
        return None
    convert_inner = inner[1]

    def convert(value: Any) -> Any:
        return None if value is None else convert_inner(value)

    return {"anyOf": [inner[0], {"type": "null"}]}, convert  # in pydantic's order


def _list(items: Typed) -> Typed:
    convert_item = items[1]

    def convert(value: Any) -> Any:
        if type(value) is not list:
            raise _Unsure
        return [convert_item(item) for item in value]

    return {"items": items[0], "type": "array"}, convert


def _dict(values: Typed) -> Typed:
    convert_value = values[1]

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise _Unsure
        return {key: convert_value(item) for key, item in value.items()}

    return {"additionalProperties": values[0], "type": "object"}, convert


def _literal(choices: tuple[Any, ...]) -> Typed | None:
    kinds = {type(choice) for choice in choices}
    if kinds not in ({str}, {int}):
        return None
    kind = kinds.pop()
    name = _SCALAR_TYPES[kind]
    schema = {"const": choices[0]} if len(choices) == 1 else {"enum": list(choices)}

    def convert(value: Any) -> Any:
        if type(value) is not kind or value not in choices:
            raise _Unsure
        return value

    return {**schema, "type": name}, convert


def _exact(kind: type) -> ValueConverter:
    def convert(value: Any) -> Any:
        if type(value) is not kind:
            raise _Unsure
        return value

    return convert


def _to_float(value: Any) -> float:
    if type(value) is float:
        return value
    if type(value) is int and -_EXACT_FLOAT <= value <= _EXACT_FLOAT:
        return float(value)
    raise _Unsure


_SCALAR_CONVERTERS: dict[type, ValueConverter] = {
    str: _exact(str),
    int: _exact(int),
    float: _to_float,
    bool: _exact(bool),
    _NONE: _exact(_NONE),
}
