"""The model's arguments string -> the function's keyword arguments, or a
`ToolArgumentsError` whose message the model can read and act on.

Three steps, each of which can fail: parse the JSON (`load_arguments`; NaN
and Infinity are not JSON, and nesting deeper than 100 levels is refused),
validate it against the published schema (`check_arguments`: jsonschema,
Draft 2020-12), convert it to Python values (`convert_arguments`: pydantic, or
its rules without it for plain JSON types, `_simple_schema`). Most tools take
a few scalar parameters: for their schemas `quick_check` accepts the
arguments that surely match without jsonschema (a tenth of its cost), and
leaves anything else to it.
Each problem is ``{"path": "$.items[0].name", "message": "..."}``; the
error's message lists them under the tool's name and ends with what to do.

jsonschema and pydantic are imported on first use, so importing agentkit
stays fast.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .._errors import ToolArgumentsError, excerpt
from .._json import loads
from ._json_schema import JsonSchema

if TYPE_CHECKING:
    import pydantic
    from jsonschema import Draft202012Validator, ValidationError

__all__ = [
    "Converter",
    "QuickCheck",
    "arguments_validator",
    "check_arguments",
    "convert_arguments",
    "load_arguments",
    "quick_check",
]

Converter = Callable[[dict[str, Any]], dict[str, Any]]
"""Validated JSON arguments -> the function's keyword arguments; may raise
``pydantic.ValidationError``."""

QuickCheck = Callable[[dict[str, Any]], bool]
"""True only for arguments the schema accepts (False: ask jsonschema)."""

_MAX_LISTED = 10
_TOO_DEEP = "the arguments are nested too deeply to validate"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def load_arguments(arguments_json: str, tool_name: str) -> dict[str, Any]:
    """The JSON object of an arguments string (``""`` is ``{}``).

    Raises:
        ToolArgumentsError: Not JSON, or not an object.
    """
    # Several providers send "" for a call without arguments.
    if not arguments_json or arguments_json.isspace():
        return {}
    try:
        data = loads(arguments_json, parse_constant=_reject_constant)
    except ValueError as exc:
        raise _error(tool_name, [{"path": "$", "message": f"not valid JSON ({exc})"}]) from None
    if not isinstance(data, dict):
        kind = "an array" if isinstance(data, list) else f"the value {arguments_json[:40]}"
        message = f"the arguments must be a JSON object, got {kind}"
        raise _error(tool_name, [{"path": "$", "message": message}])
    return data


def arguments_validator(schema: JsonSchema) -> Draft202012Validator:
    """The jsonschema validator of a published parameters schema."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema)


_SCALARS: dict[Any, frozenset[type]] = {
    "string": frozenset({str}),
    "integer": frozenset({int}),  # 1.0 is an integer to JSON Schema: jsonschema decides
    "number": frozenset({int, float}),
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
}
_ANNOTATIONS = frozenset({"description", "title", "default", "examples"})
_OBJECT_KEYS = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties"}


def quick_check(schema: JsonSchema) -> QuickCheck | None:
    """A check for a schema of scalar-typed properties (``{"type":
    "string"}``...; annotations allowed, no other keyword), else None.

    It accepts arguments whose required properties are all there, whose
    values have exactly their property's JSON type (a bool is not an
    integer) and which name no other property when the schema allows none.
    Whatever it does not accept may still be valid (``1.0`` for an integer):
    jsonschema decides, and words the errors.
    """
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    closed = schema.get("additionalProperties", True) is False
    if (
        schema.get("type") != "object"
        or not schema.keys() <= _OBJECT_KEYS
        or schema.get("additionalProperties", True) not in (True, False)
        or not isinstance(properties, dict)
        or not isinstance(required, list)
        or not all(isinstance(name, str) for name in required)
    ):
        return None
    allowed: dict[str, frozenset[type]] = {}
    for name, prop in properties.items():
        if not isinstance(prop, dict) or not prop.keys() <= _ANNOTATIONS | {"type"}:
            return None
        kind = prop.get("type")
        types = _SCALARS.get(kind) if isinstance(kind, str) else None
        if types is None:
            return None
        allowed[name] = types
    needed = frozenset(required)

    def check(data: dict[str, Any]) -> bool:
        if not needed <= data.keys():
            return False
        for name, value in data.items():
            types = allowed.get(name)
            if types is None:
                if closed:
                    return False
            elif value.__class__ not in types:
                return False
        return True

    return check


def check_arguments(data: dict[str, Any], validator: Draft202012Validator, tool_name: str) -> None:
    """Raise `ToolArgumentsError` listing every way ``data`` does not match
    the schema."""
    try:
        errors = _schema_entries(validator.iter_errors(data))
    except RecursionError:  # a recursive schema walked down deep arguments
        errors = [{"path": "$", "message": _TOO_DEEP}]
    if errors:
        raise _error(tool_name, errors)


def convert_arguments(data: dict[str, Any], convert: Converter, tool_name: str) -> dict[str, Any]:
    """``convert(data)``, with pydantic's errors turned into a `ToolArgumentsError`."""
    try:
        return convert(data)
    except RecursionError:
        raise _error(tool_name, [{"path": "$", "message": _TOO_DEEP}]) from None
    except Exception as exc:
        # A converter that does not use pydantic leaves it unimported.
        pydantic = sys.modules.get("pydantic")
        if pydantic is None or not isinstance(exc, pydantic.ValidationError):
            raise
        raise _error(tool_name, _pydantic_entries(exc)) from None


def _error(tool_name: str, errors: list[dict[str, str]]) -> ToolArgumentsError:
    lines = [f"Invalid arguments for tool {tool_name!r}:"]
    lines += [f"- {error['path']}: {error['message']}" for error in errors[:_MAX_LISTED]]
    if len(errors) > _MAX_LISTED:
        lines.append(f"- ... and {len(errors) - _MAX_LISTED} more problems")
    lines.append("Fix the arguments and call the tool again.")
    return ToolArgumentsError("\n".join(lines), tool_name=tool_name, errors=errors)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _pydantic_entries(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    return [
        {"path": _path_text(error["loc"]), "message": error["msg"]}
        for error in exc.errors(include_url=False)
    ]


def _path_text(parts: Iterable[Any]) -> str:
    """``["items", 0, "name"]`` -> ``$.items[0].name``."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.fullmatch(str(part)):
            text += f".{part}"
        else:
            text += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return text


def _schema_entries(errors: Iterable[ValidationError]) -> list[dict[str, str]]:
    """One entry per problem, without duplicates, in the schema's order (the
    properties' problems, then missing properties, then unexpected ones)."""
    entries: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for error in _without_shadowed(list(errors)):
        for entry in _entries(error):
            key = (entry["path"], entry["message"])
            if key not in seen:
                seen.add(key)
                entries.append(entry)
    return entries


def _without_shadowed(errors: list[ValidationError]) -> list[ValidationError]:
    """Where a value has the wrong type, its other errors (not one of the
    enum values...) only repeat the problem: keep the type error."""
    typed = {tuple(error.absolute_path) for error in errors if error.validator == "type"}
    return [
        error
        for error in errors
        if error.validator == "type" or tuple(error.absolute_path) not in typed
    ]


def _entries(error: ValidationError) -> list[dict[str, str]]:
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        names = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [name for name in names if name not in instance]
        return [
            {"path": _path_text([*path, name]), "message": "missing required property"}
            for name in missing
        ]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = list(schema.get("properties", {}))
        hint = f"allowed: {', '.join(allowed)}" if allowed else "no properties are allowed here"
        return [
            {"path": _path_text([*path, name]), "message": f"unexpected property ({hint})"}
            for name in instance
            if name not in allowed
        ]
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _union_entries(error, path)
    return [{"path": _path_text(path), "message": _message(error)}]


def _message(error: ValidationError) -> str:
    if error.validator == "type":
        return f"expected {_types(error.validator_value)}, got {_describe(error.instance)}"
    if error.validator == "enum":
        return f"{_json(error.instance)} is not one of {_json(error.validator_value)}"
    if error.validator == "const":
        return f"expected {_json(error.validator_value)}, got {_json(error.instance)}"
    return excerpt(error.message, 200)


def _union_entries(error: ValidationError, path: list[Any]) -> list[dict[str, str]]:
    """Errors of a union (``anyOf``): report the branches whose type matched
    the value (``"K"`` against ``Literal["C", "F"] | None`` is an enum
    problem, not a "not null" one); if none matched, the expected types."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    matched = [
        errors
        for errors in branches.values()
        if not any(sub.validator == "type" and not sub.relative_path for sub in errors)
    ]
    if len(matched) == 1:
        return [entry for sub in _without_shadowed(matched[0]) for entry in _entries(sub)]
    if matched:
        from jsonschema.exceptions import best_match

        return _entries(best_match(sub for errors in matched for sub in errors))
    expected = [
        sub.validator_value
        for sub in error.context or []
        if sub.validator == "type" and not sub.relative_path
    ]
    return [
        {
            "path": _path_text(path),
            "message": f"expected {_types(expected)}, got {_describe(error.instance)}",
        }
    ]


def _types(expected: Any) -> str:
    names: list[str] = []
    for item in expected if isinstance(expected, list) else [expected]:
        names += item if isinstance(item, list) else [item]
    return " or ".join(dict.fromkeys(str(name) for name in names))


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    kind = next((name for cls, name in _JSON_TYPES if isinstance(value, cls)), "value")
    return f"{kind} {_json(value)}"


def _json(value: Any) -> str:
    return excerpt(json.dumps(value, ensure_ascii=False), 80)
