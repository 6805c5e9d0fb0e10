"""Validation problems -> text a model can read and act on.

Each problem is ``{"path": "$.items[0].name", "message": "..."}``; the full
message lists them under the tool's name and ends with what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from .._errors import excerpt

__all__ = ["arguments_error_message", "path_text", "schema_error_entries"]

_MAX_LISTED = 10
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def arguments_error_message(tool_name: str, errors: Sequence[dict[str, str]]) -> str:
    """The message of a `ToolArgumentsError`, written for the model."""
    lines = [f"Invalid arguments for tool {tool_name!r}:"]
    lines += [f"- {error['path']}: {error['message']}" for error in errors[:_MAX_LISTED]]
    if len(errors) > _MAX_LISTED:
        lines.append(f"- ... and {len(errors) - _MAX_LISTED} more problems")
    lines.append("Fix the arguments and call the tool again.")
    return "\n".join(lines)


def path_text(parts: Iterable[Any]) -> str:
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


def schema_error_entries(errors: Iterable[ValidationError]) -> list[dict[str, str]]:
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
            {"path": path_text([*path, name]), "message": "missing required property"}
            for name in missing
        ]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = list(schema.get("properties", {}))
        hint = f"allowed: {', '.join(allowed)}" if allowed else "no properties are allowed here"
        return [
            {"path": path_text([*path, name]), "message": f"unexpected property ({hint})"}
            for name in instance
            if name not in allowed
        ]
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _union_entries(error, path)
    return [{"path": path_text(path), "message": _message(error)}]


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
        return _entries(best_match(sub for errors in matched for sub in errors))
    expected = [
        sub.validator_value
        for sub in error.context or []
        if sub.validator == "type" and not sub.relative_path
    ]
    return [
        {
            "path": path_text(path),
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
