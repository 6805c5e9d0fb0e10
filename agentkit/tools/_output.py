"""A tool's return value -> the content of the tool message the model reads."""

from __future__ import annotations

import dataclasses
from typing import Any

import pydantic
import pydantic_core

from .._errors import ToolExecutionError

__all__ = ["format_output"]

_JSON_SCALARS = (bool, int, float, type(None))
_JSON_CONTAINERS = (dict, list, tuple)


def format_output(value: Any, tool_name: str) -> str:
    """``str`` as it is; pydantic models, dataclasses, dicts, lists, tuples,
    numbers, booleans and None as compact JSON (UTF-8, not escaped). Values
    inside containers may also be datetimes, UUIDs, enums, sets, nested
    models...: whatever pydantic serialises.

    Raises:
        ToolExecutionError: Any other type, or a container holding a value
            that has no JSON form.
    """
    if isinstance(value, str):
        return value
    if not _is_json_like(value):
        raise _unsupported(value, tool_name)
    try:
        return pydantic_core.to_json(value).decode()
    except (pydantic_core.PydanticSerializationError, ValueError, TypeError) as exc:
        raise ToolExecutionError(
            f"Tool {tool_name!r} returned a {type(value).__name__} that cannot be sent to the "
            f"model: {exc}",
            tool_name=tool_name,
        ) from exc


def _is_json_like(value: Any) -> bool:
    return isinstance(value, (*_JSON_SCALARS, *_JSON_CONTAINERS, pydantic.BaseModel)) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _unsupported(value: Any, tool_name: str) -> ToolExecutionError:
    return ToolExecutionError(
        f"Tool {tool_name!r} returned a {type(value).__name__}, which cannot be sent to the "
        "model. Return a str, a pydantic model, a dataclass, or JSON data (dict, list, "
        "number, bool, None).",
        tool_name=tool_name,
    )
