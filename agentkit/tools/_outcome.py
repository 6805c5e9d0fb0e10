"""`ToolOutcome`: what one tool call produced, success or failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._errors import ToolError

__all__ = ["ToolOutcome"]


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The result of executing one tool call; never an exception.

    Attributes:
        output: The content of the tool message sent back to the model: the
            formatted return value, or the error message written for the model.
        is_error: Whether the call failed (bad arguments, unknown tool, the
            function raised or timed out, or its value could not be formatted).
        error: The typed error when ``is_error`` (`ToolArgumentsError`,
            `UnknownToolError`, `ToolExecutionError`, `ToolTimeoutError`), else None.
        value: The function's raw return value on success, else None.
    """

    output: str
    is_error: bool = False
    error: ToolError | None = None
    value: Any = None

    @classmethod
    def failure(cls, error: ToolError) -> ToolOutcome:
        """The outcome of a failed call: the model reads ``str(error)``."""
        return cls(output=str(error), is_error=True, error=error)
