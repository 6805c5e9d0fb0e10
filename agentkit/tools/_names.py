"""Tool names: the pattern providers accept, and the default names agentkit derives."""

from __future__ import annotations

import re
from typing import Any

from .._errors import ToolDefinitionError

__all__ = ["check_tool_name", "function_name", "snake_case"]

# OpenAI (and the providers that copy its API) reject any other function name.
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def check_tool_name(name: object) -> str:
    """Return ``name`` if providers accept it as a function name, else raise
    `ToolDefinitionError`."""
    if not isinstance(name, str) or _TOOL_NAME.fullmatch(name) is None:
        raise ToolDefinitionError(
            f"Tool name {name!r} is not accepted by providers: use 1 to 64 letters, digits, "
            "underscores or hyphens (pattern ^[a-zA-Z0-9_-]{1,64}$), for example "
            "@tool(name='get_weather')."
        )
    return name


def function_name(function: Any) -> str:
    """The default tool name of a callable: its ``__name__``."""
    name = getattr(function, "__name__", None)
    if not isinstance(name, str):
        raise ToolDefinitionError(
            f"Cannot infer a tool name for {function!r} (it has no __name__): pass name=..."
        )
    return name


def snake_case(name: str) -> str:
    """``GetWeather`` -> ``get_weather``, ``HTTPRequest`` -> ``http_request``."""
    return _WORD_BOUNDARY.sub("_", name).lower()
